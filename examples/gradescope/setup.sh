#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image.
# Zip setup.sh, run_autograder and a copy of the gdgrade source folder (as gdgrade/) together.
set -euo pipefail
apt-get update
if python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    apt-get install -y python3-venv
    python=python3
else
    # Gradescope's default image (Ubuntu 22.04) has Python 3.10; gdgrade needs 3.11 or newer.
    apt-get install -y software-properties-common
    add-apt-repository -y ppa:deadsnakes/ppa
    apt-get update
    apt-get install -y python3.11 python3.11-venv
    python=python3.11
fi
"$python" -m venv /opt/gdgrade
/opt/gdgrade/bin/pip install /autograder/source/gdgrade
