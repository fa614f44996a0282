#!/usr/bin/env bash
# Install the Debian packages that ils and its tests need.
#
#   unixODBC and its headers (pyodbc), the SQLite3 and PostgreSQL ODBC drivers,
#   PostgreSQL (the tests start a throwaway server) and the sqlite3 and psql
#   command-line clients (the DBA route), Chromium (reports as PDF and
#   browser tests), fonts that cover Swedish text, the libraries WeasyPrint
#   loads (Pango, HarfBuzz), poppler-utils (pdftotext/pdftoppm to check PDFs),
#   LibreOffice Calc without a GUI (to open the workbooks the reports write),
#   and Node.js/npm only when no node/npm is on the PATH.
#
# Idempotent and quick when everything is there: it asks dpkg what is missing
# and only then runs apt-get update and apt-get install. Runs apt-get as root,
# through sudo when not root; without either it prints the command to run and
# exits non-zero.
#
# Usage: scripts/install-system.sh [--check]
#   --check   only report what is missing (exit 1 if anything is)
set -euo pipefail

PACKAGES=(
    # ODBC: the driver manager, headers for building pyodbc, and the drivers
    unixodbc
    unixodbc-dev
    odbc-postgresql
    libsqliteodbc
    # a PostgreSQL server for the tests (tests/pgcluster.py runs initdb itself)
    postgresql
    # the databases' own command-line clients: the DBA route (ils init --sql) is applied and tested with
    # them (psql comes with postgresql, as its dependency postgresql-client-NN)
    sqlite3
    # headless browser for HTML->PDF and page tests
    chromium
    # fonts with å, ä, ö for reports (DejaVu; Liberation is metric-compatible with Arial/Times)
    fontconfig
    fonts-dejavu-core
    fonts-dejavu-extra
    fonts-liberation2
    # libraries WeasyPrint loads at run time
    libpango-1.0-0
    libpangoft2-1.0-0
    libharfbuzz0b
    libharfbuzz-subset0
    # pdftotext / pdftoppm, to check and look at the PDFs
    poppler-utils
    # LibreOffice Calc without a GUI: the tests open every kind of report.xlsx in it (no repair, numbers
    # as numbers, no formula evaluated)
    libreoffice-calc-nogui
)

check_only=0
case "${1:-}" in
    --check) check_only=1 ;;
    "") ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-system.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "install-system.sh: this is not a Debian/Ubuntu system (no dpkg-query)." >&2
    echo "Install these with your package manager: ${PACKAGES[*]} (and Node.js with npm)" >&2
    exit 1
fi

# Packages whose status is not "install ok installed".
missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$pkg")
    fi
done
# Node.js/npm: any installation on the PATH will do (e.g. from NodeSource, which bundles npm).
if ! command -v node >/dev/null 2>&1; then
    missing+=(nodejs)
fi
if ! command -v npm >/dev/null 2>&1; then
    missing+=(npm)
fi

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "System packages: all present."
    exit 0
fi

if [[ $check_only -eq 1 ]]; then
    echo "System packages missing: ${missing[*]}" >&2
    exit 1
fi

if [[ $(id -u) -eq 0 ]]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "install-system.sh: these Debian packages are missing and I am not root and have no sudo:" >&2
    echo "  ${missing[*]}" >&2
    echo "Ask an administrator to run:" >&2
    echo "  apt-get update && apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"

# Check again: apt-get may exit 0 and still leave a package unconfigured.
still=()
for pkg in "${missing[@]}"; do
    case "$pkg" in
        nodejs) command -v node >/dev/null 2>&1 || still+=("$pkg") ;;
        npm) command -v npm >/dev/null 2>&1 || still+=("$pkg") ;;
        *)
            status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
            [[ "$status" == "install ok installed" ]] || still+=("$pkg")
            ;;
    esac
done
if [[ ${#still[@]} -gt 0 ]]; then
    echo "install-system.sh: still missing after apt-get install: ${still[*]}" >&2
    exit 1
fi
echo "System packages: installed ${missing[*]}."
