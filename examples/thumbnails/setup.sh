#!/bin/sh
# SPDX-License-Identifier: MIT
# The thumbnail example's setup step: installs what function/requirements.txt asks for
# (boto3) into function/, beside thumbs.py, as a Lambda deployment package carries it.
# Debian's python3-boto3 is too old to read AWS_ENDPOINT_URL_S3, so the function brings its
# own; PIL is Debian's python3-pil, which every worker sees. Needs Debian's python3-pip and
# PyPI. Idempotent: when function/ already holds what requirements.txt asks for, it says so
# and touches nothing.
#   examples/thumbnails/setup.sh
set -eu

fn="$(cd "$(dirname "$0")" && pwd)/function"
py=/usr/bin/python3

# Satisfied when every requirement names a distribution installed in function/ at a
# version the requirement allows (pip's own copy of `packaging` reads the specifiers).
satisfied() {
  "$py" - "$fn" <<'PY'
import re, sys
from importlib.metadata import distributions
from pip._vendor.packaging.requirements import Requirement

def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()

have = {norm(d.metadata["Name"]): d.version for d in distributions(path=[sys.argv[1]])}
with open(sys.argv[1] + "/requirements.txt") as f:
    for line in f:
        line = line.split("#", 1)[0].strip()
        if line:
            r = Requirement(line)
            v = have.get(norm(r.name))
            if v is None or not r.specifier.contains(v, prereleases=True):
                sys.exit(1)
PY
}

reqs=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$fn/requirements.txt" | tr '\n' ' ' | sed 's/ $//')
if satisfied; then
  echo "thumbnails: function/ already holds $reqs"
  exit 0
fi
# Workers run under uids of their own (isolation): what is installed must be world-readable.
umask 022
"$py" -m pip install --target "$fn" -r "$fn/requirements.txt" --upgrade --no-warn-conflicts \
  --disable-pip-version-check --root-user-action=ignore --quiet
satisfied || { echo "thumbnails: pip ran, but function/ still lacks $reqs" >&2; exit 1; }
echo "thumbnails: installed $reqs into function/"
