#!/usr/bin/env python3
"""tests/test_sdk_h.py INCLUDE_DIR -- pio/sdk.h, the one header a plugin
author includes, includes every header of the SDK: a new header that is
not added there fails here, naming it."""
import os
import re
import sys


def main(include_dir):
    folder = os.path.join(include_dir, 'pio')
    headers = sorted(f for f in os.listdir(folder) if f.endswith('.h') and f != 'sdk.h')
    with open(os.path.join(folder, 'sdk.h')) as f:
        included = set(re.findall(r'^\s*#\s*include\s+"pio/([^"]+)"', f.read(), flags=re.M))
    missing = [h for h in headers if h not in included]
    for h in missing:
        print('pio/sdk.h does not include pio/%s' % h)
    for h in sorted(included - set(headers)):
        print('pio/sdk.h includes pio/%s, which the SDK does not have' % h)
        missing.append(h)
    if not missing:
        print('pio/sdk.h includes all %d SDK headers' % len(headers))
    return 1 if missing else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
