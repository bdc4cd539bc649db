#!/usr/bin/python3
"""tests/tools/hf_template.py DIR — renders every template of DIR (*.jinja)
for every conversation of DIR/cases.json as Hugging Face Transformers'
apply_chat_template renders it (Jinja2's ImmutableSandboxedEnvironment with
trim_blocks, lstrip_blocks and loop controls; Transformers' tojson,
raise_exception and strftime_now; its {% generation %} tag), and writes
DIR/expected.json: for each (template, case) the prompt or the error.
Needs python3-jinja2; not run by the tests, which read expected.json."""
import json
import os
import sys
from datetime import datetime

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment


class AssistantTracker(Extension):
    """Transformers' {% generation %}: renders its body as it is."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


class Raised(jinja2.exceptions.TemplateError):
    """What the template's raise_exception raised (its message is the author's)."""


def raise_exception(message):
    raise Raised(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                      sort_keys=sort_keys)


def strftime_now(fmt):
    return datetime.now().strftime(fmt)


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[AssistantTracker, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def main():
    d = sys.argv[1]
    cases = json.load(open(os.path.join(d, "cases.json"), encoding="utf-8"))
    env = environment()
    out = []
    for name in sorted(f for f in os.listdir(d) if f.endswith(".jinja")):
        source = open(os.path.join(d, name), encoding="utf-8").read()
        template = env.from_string(source)
        for case in cases:
            kwargs = dict(case.get("vars", {}))
            kwargs.update(messages=case["messages"], tools=case.get("tools"), documents=None,
                          add_generation_prompt=case.get("add_generation_prompt", False))
            entry = {"template": name, "case": case["name"]}
            try:
                entry["prompt"] = template.render(**kwargs)
            except Raised as e:
                entry["error"] = str(e)
                entry["raised"] = True
            except jinja2.exceptions.TemplateError as e:
                entry["error"] = str(e)
            except Exception as e:  # TypeError and the like: pio must fail too
                entry["error"] = "%s: %s" % (type(e).__name__, e)
            out.append(entry)
    with open(os.path.join(d, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
