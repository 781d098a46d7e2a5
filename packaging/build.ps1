# Build the one-folder desktop app on Windows: dist\FrontDesk\ (FrontDesk.exe, frontdesk-cli.exe).
# The Windows twin of packaging/build.sh, with the same spec. Needs a virtual environment in
# .venv with the app and its test tools: py -3.11 -m venv .venv; .venv\Scripts\pip install -e ".[test]"
#
#   powershell -ExecutionPolicy Bypass -File packaging\build.ps1 [-Dist D] [-Work W]
param(
    [string]$Dist = "",
    [string]$Work = ""
)
$ErrorActionPreference = "Stop"
$root = Split-Path -Parent $PSScriptRoot
if (-not $Dist) { $Dist = Join-Path $root "dist" }
if (-not $Work) { $Work = Join-Path $root "build" }
$python = if ($env:PYTHON) { $env:PYTHON } else { Join-Path $root ".venv\Scripts\python.exe" }
if (-not (Test-Path $python)) { throw "no $python: create .venv first (see the top of this file)" }

$watch = [System.Diagnostics.Stopwatch]::StartNew()
Push-Location $root
try {
    & $python -m PyInstaller --noconfirm --clean --log-level WARN `
        --distpath $Dist --workpath $Work (Join-Path $root "packaging\frontdesk.spec")
    if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed ($LASTEXITCODE)" }
} finally {
    Pop-Location
}
$watch.Stop()
$app = Join-Path $Dist "FrontDesk"
$bytes = (Get-ChildItem $app -Recurse -File | Measure-Object -Sum Length).Sum
"built {0}: {1:N0} MB in {2:N0} s" -f $app, ($bytes / 1MB), $watch.Elapsed.TotalSeconds
