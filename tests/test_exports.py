#!/usr/bin/env python3
"""tests/test_exports.py NM LIBRARY HEADER... -- libpio-host exports what its
installed headers declare with PIO_HOST_API, and nothing else.

The library is built with hidden visibility; a symbol that leaks out (an
internal helper someone marked by mistake, a static library linked in
whole) or a declared function that is not exported (a typo, a missing
file) fails here, naming it."""
import re
import subprocess
import sys


def declared(headers):
    names = set()
    for path in headers:
        with open(path) as f:
            text = f.read()
        text = re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)  # comments name functions too
        text = re.sub(r'^\s*#.*$', ' ', text, flags=re.M)    # and so does PIO_HOST_API's own
        for m in re.finditer(r'\bPIO_HOST_API\b([^;{]*?)\b(\w+)\s*\(', text):
            names.add(m.group(2))
    return names


def exported(nm, library):
    out = subprocess.run([nm, '-D', '--defined-only', library], check=True,
                         capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        # "ADDRESS TYPE NAME": functions (T), data (D, B, R), weak (W, V).
        if len(parts) == 3 and parts[1] in 'TDBRWVGS':
            names.add(parts[2].split('@')[0])
    return names


def main(nm, library, headers):
    want = declared(headers)
    have = exported(nm, library)
    failed = 0
    if len(want) < 10:
        print('found only %d PIO_HOST_API declarations in %s: the parser is wrong'
              % (len(want), ' '.join(headers)))
        return 1
    for name in sorted(have - want):
        print('%s exports %s, which no installed header declares with PIO_HOST_API'
              % (library, name))
        failed = 1
    for name in sorted(want - have):
        print('%s does not export %s, declared with PIO_HOST_API' % (library, name))
        failed = 1
    for name in sorted(want):
        if not name.startswith('pio_'):
            print('%s: a public symbol must start with pio_' % name)
            failed = 1
    if not failed:
        print('%d symbols exported, each declared in an installed header' % len(have))
    return failed


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
