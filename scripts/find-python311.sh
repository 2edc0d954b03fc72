#!/usr/bin/env bash
# Prints the path of a Python 3.11 interpreter for the bot service and actions, or nothing.
for candidate in \
    "${PYTHON311:-}" \
    "$(command -v python3.11 2>/dev/null)" \
    $(command -v pyenv >/dev/null 2>&1 && ls -d "$(pyenv root)"/versions/3.11.*/bin/python 2>/dev/null) \
    "$(command -v python3 2>/dev/null)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] && \
     "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    echo "$candidate"
    exit 0
  fi
done
exit 0
