"""The prescriptions panel: status, refills and pharmacy, by prescription id or by patient."""
