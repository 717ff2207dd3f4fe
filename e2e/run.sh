#!/usr/bin/env bash
# `make e2e`: the HTML report (e2e/report_e2e.py, writes docs/report.png) and the explorer
# notebook in JupyterLab, driven by headless Chromium (Debian's,
# through Playwright with its executable path; Playwright's own browser download is not
# used). Installs Chromium with apt when it is missing, and the `e2e` extra into .venv.
# The screenshots land in build/e2e/.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
# Every sandbox started here (the notebooks' included) uses the fast window: headers on
# every answer, no waiting. The throttle itself is tested in tests/, not here.
export FULFILLKIT_SANDBOX_RATE_LIMIT=${FULFILLKIT_SANDBOX_RATE_LIMIT:-10000/1}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

if [ ! -x "$CHROMIUM" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "e2e: installing Debian's chromium with apt-get"
        export DEBIAN_FRONTEND=noninteractive
        if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; }; then
            if [ "${E2E_OPTIONAL:-0}" = 1 ]; then
                echo "e2e: SKIPPED: apt-get could not install chromium"
                exit 0
            fi
            echo "e2e: apt-get could not install chromium" >&2
            exit 2
        fi
    elif [ "${E2E_OPTIONAL:-0}" = 1 ]; then
        echo "e2e: SKIPPED: no Chromium at $CHROMIUM and no apt-get as root to install it"
        exit 0
    else
        echo "e2e: no Chromium at $CHROMIUM; install Debian's chromium (apt-get install chromium)" >&2
        exit 2
    fi
fi

"$PY" -m pip install --quiet -c constraints.txt -e '.[e2e]'
"$PY" e2e/report_e2e.py --chromium "$CHROMIUM" --out build/e2e
exec "$PY" e2e/explorer_e2e.py --chromium "$CHROMIUM" --out build/e2e "$@"
