#!/usr/bin/env python3
"""tests/test_install.py BUILD_DIR PREFIX BINDIR LIBDIR DATADIR MANDIR GUIDE SANITIZE --
`meson install --destdir` into a scratch folder, then, with no
LD_LIBRARY_PATH and no PIO_* variable, that the installed tree works on its
own, and still does once moved elsewhere (relocatable):
  - pio-host and pio-bench start (an $ORIGIN-relative rpath finds the
    libraries), and pio-host lists the installed plugins from the installed
    folder, ok, and finds the installed presets;
  - the man pages (SYNOPSIS the usage lines, not "Usage:"), the bash
    completion (it completes plugin names, and the choices of an option
    such as --kernel and -o) and the documentation are there;
  - no static library is installed (libpio-host.a's internals carry no
    pio_ prefix, and there is no static libpio-sdk to link it with);
  - pkg-config's pio-sdk.pc builds the plugin-author guide's plugin out of
    tree, which the installed pio-host validates ok; pio-host.pc builds a
    program that lists plugins through libpio-host.
Skips (77) without meson, a C compiler or pkg-config."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile


def need(tool):
    path = shutil.which(tool)
    if path is None:
        print('SKIP: %s not found' % tool)
        sys.exit(77)
    return path


def check(cond, what):
    if not cond:
        print('FAIL:', what)
        sys.exit(1)


def clean_env(home):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(('PIO_', 'LD_', 'XDG_', 'ASAN_SYMBOLIZER'))}
    env.update(HOME=home, XDG_CACHE_HOME=os.path.join(home, 'cache'),
               XDG_DATA_HOME=os.path.join(home, 'data'))
    return env


def run(args, env, ok=True, cwd=None):
    p = subprocess.run(args, env=env, capture_output=True, text=True, cwd=cwd, timeout=300)
    if ok and p.returncode != 0:
        print('FAIL: %s exited %d\n%s%s' % (' '.join(args), p.returncode, p.stdout, p.stderr))
        sys.exit(1)
    return p


def guide_block(guide, heading, lang):
    """The first ```lang block after the line holding heading."""
    text = open(guide).read()
    start = text.index(heading)
    m = re.compile(r'```%s\n(.*?)```' % lang, re.S).search(text, start)
    return m.group(1)


def complete(completion, bindir, env, words):
    """What bash completion offers for the last of words (a list, the
    tool first) with the installed completion script."""
    script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); '
              '_${1//-/_}; printf "%s\\n" "${COMPREPLY[@]}"')
    benv = dict(env, PATH=bindir + os.pathsep + env.get('PATH', ''))
    out = run(['bash', '-c', script, 'complete', completion] + words, benv).stdout
    return [w for w in out.split('\n') if w]


def check_tree(root, rel, env, scratch, guide, sanitize):
    bindir, libdir, datadir, mandir = (os.path.join(root, r) for r in rel)
    pio_host = os.path.join(bindir, 'pio-host')
    pio_bench = os.path.join(bindir, 'pio-bench')
    out = run([pio_host, 'list', '--json'], env).stdout
    listed = json.loads(out)
    plugins = listed['plugins'] if isinstance(listed, dict) else listed
    by_name = {p['name']: p for p in plugins}
    check('llama3_1' in by_name, 'the installed llama3_1 is listed: %s' % out)
    for p in plugins:
        check(p['status'] == 'ok', '%s is ok: %s' % (p['name'], p))
        check(p['dir'].startswith(os.path.realpath(libdir) + '/pio/plugins/'),
              '%s comes from the installed tree %s: %s' % (p['name'], root, p['dir']))
    info = run([pio_host, 'info', 'llama3_1'], env).stdout
    check('llama-3.1-8b' in info, 'info finds the installed presets:\n' + info)
    run([pio_bench, 'kv', '--model', 'llama-3.1-8b'], env)
    for tool in ('pio-host', 'pio-bench'):
        page = os.path.join(mandir, 'man1', tool + '.1')
        check(os.path.isfile(page) and open(page).read().startswith('.\\"'),
              'man page %s' % page)
        synopsis = open(page).read().split('.SH SYNOPSIS\n.nf\n')[1].split('\n')[0]
        check(synopsis.startswith(tool.replace('-', '\\-') + ' '),
              '%s SYNOPSIS is its usage: %r' % (page, synopsis))
        completion = os.path.join(datadir, 'bash-completion', 'completions', tool)
        check(os.path.isfile(completion), 'completion %s' % completion)
        run(['bash', '-n', completion], env)
    host_completion = os.path.join(datadir, 'bash-completion', 'completions', 'pio-host')
    offered = complete(host_completion, bindir, env, ['pio-host', 'info', ''])
    check(sorted(offered) == sorted(by_name), 'pio-host info <TAB> offers the plugins: %s' % offered)
    offered = complete(host_completion, bindir, env, ['pio-host', 'run', '--kernel', ''])
    check('amx_bf16' in offered and 'auto' in offered, 'run --kernel <TAB>: %s' % offered)
    offered = complete(os.path.join(datadir, 'bash-completion', 'completions', 'pio-bench'),
                       bindir, env, ['pio-bench', 'run', '-o', ''])
    check(sorted(offered) == ['csv', 'jsonl', 'md', 'table'], 'pio-bench run -o <TAB>: %s' % offered)
    archives = [f for f in os.listdir(libdir) if f.endswith('.a')]
    check(not archives, 'no static library installed: %s' % archives)
    docs = os.path.join(datadir, 'doc', 'pio')
    for doc in ('README.md', 'user-guide.md', 'plugin-author-guide.md', 'abi.md'):
        check(os.path.isfile(os.path.join(docs, doc)), 'doc %s installed' % doc)

    # Out of tree, as the plugin-author guide says, against this tree.
    pkgconfig = os.path.join(libdir, 'pkgconfig')
    penv = dict(env, PKG_CONFIG_PATH=pkgconfig)
    flags = run(['pkg-config', '--cflags', '--libs', 'pio-sdk'], penv).stdout
    check('-lm' in flags.split(), 'pio-sdk.pc links -lm: %s' % flags)
    hello = os.path.join(scratch, 'hello-src')
    os.makedirs(hello, exist_ok=True)
    with open(os.path.join(hello, 'plugin.c'), 'w') as f:
        f.write(guide_block(guide, '### `plugins/hello/plugin.c`', 'c'))
    with open(os.path.join(hello, 'plugin_manifest.json'), 'w') as f:
        f.write(guide_block(guide, '### `plugins/hello/plugin_manifest.json`', 'json'))
    run(['cc', '-shared', '-fPIC', '-fvisibility=hidden', '-o', 'pio_hello.so', 'plugin.c']
        + flags.split(), penv, cwd=hello)
    dest = os.path.join(env['XDG_DATA_HOME'], 'pio', 'plugins', 'hello')
    os.makedirs(dest, mode=0o755, exist_ok=True)
    for f in ('pio_hello.so', 'plugin_manifest.json'):
        shutil.copy(os.path.join(hello, f), dest)
    v = run([pio_host, 'validate', dest], env)
    check('Result: ok' in v.stdout, 'the out-of-tree plugin validates:\n' + v.stdout)
    shutil.rmtree(dest)

    host_flags = run(['pkg-config', '--cflags', '--libs', 'pio-host'],
                     penv).stdout.split()
    program = os.path.join(scratch, 'count.c')
    with open(program, 'w') as f:
        f.write('#include <stdio.h>\n#include "pio/host.h"\n'
                'int main(void) {\n  pio_registry_options o;\n  pio_registry_options_init(&o);\n'
                '  pio_registry *r;\n  pio_error e;\n'
                '  if (pio_registry_open(&o, &r, &e) != PIO_OK) return 1;\n'
                '  printf("%zu\\n", pio_registry_count(r));\n  pio_registry_close(r);\n'
                '  return 0;\n}\n')
    exe = os.path.join(scratch, 'count')
    lib_rpath = '-Wl,-rpath,' + os.path.realpath(libdir)
    # A sanitized libpio-host needs its runtime first in the program too.
    san = ['-fsanitize=' + sanitize] if sanitize not in ('', 'none') else []
    run(['cc', '-std=c11', '-o', exe, program, lib_rpath] + san + host_flags, penv)
    n = int(run([exe], env).stdout)
    check(n == len(plugins), 'a program built with pio-host.pc lists %d plugins, not %d'
          % (len(plugins), n))


def main(build, prefix, bindir, libdir, datadir, mandir, guide, sanitize):
    for tool in ('meson', 'cc', 'pkg-config'):
        need(tool)
    scratch = tempfile.mkdtemp(prefix='pio-test-install-')
    try:
        destdir = os.path.join(scratch, 'dest')
        # Not --no-rebuild: `meson test` builds only what tests depend on, and
        # install wants every installed target (a CUDA module, say) built.
        run(['meson', 'install', '-C', build, '--destdir', destdir, '--quiet'], dict(os.environ))
        home = os.path.join(scratch, 'home')
        os.makedirs(home)
        env = clean_env(home)
        rel = [os.path.relpath(d, prefix) if os.path.isabs(d) else d
               for d in (bindir, libdir, datadir, mandir)]
        root = destdir + prefix
        check_tree(root, rel, env, scratch, guide, sanitize)
        moved = os.path.join(scratch, 'moved', 'elsewhere')
        os.makedirs(os.path.dirname(moved))
        shutil.move(root, moved)
        shutil.rmtree(os.path.join(home, 'cache'), ignore_errors=True)
        check_tree(moved, rel, env, scratch, guide, sanitize)
        print('installed tree works, and works moved')
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:9]))
