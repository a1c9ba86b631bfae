#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image.
# Zip setup.sh, run_autograder and a copy of the gdgrade source folder (as gdgrade/) together.
set -euo pipefail
apt-get install -y python3 python3-venv python3-pip
python3 -m venv /opt/gdgrade
/opt/gdgrade/bin/pip install /autograder/source/gdgrade
