"""The calendar panel: day and week views with one column per provider."""
