#!/usr/bin/python3
"""tests/test_manifest_schema.py — manifests/plugin_manifest.schema.json must
judge the shared corpus (tests/data/manifests/{valid,invalid}) as
host/manifest/manifest.c does (test_manifest.c checks the parser's side).

Debian's python3 has no jsonschema package, so this holds a small validator
for exactly the keywords the schema uses; an unknown keyword fails the test
rather than being skipped, so the schema cannot outgrow the check silently.
"""
import json
import os
import re
import sys

HANDLED = {"$schema", "$id", "title", "description", "type", "required", "properties",
           "additionalProperties", "items", "pattern", "enum", "const", "maxLength",
           "maxItems", "minItems", "uniqueItems", "minimum", "maximum", "not", "if", "then", "else",
           "allOf", "$ref"}


def type_ok(value, name):
    if isinstance(name, list):
        return any(type_ok(value, n) for n in name)
    if name == "null":
        return value is None
    if name == "boolean":
        return isinstance(value, bool)
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "string":
        return isinstance(value, str)
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    raise AssertionError("schema uses type %r" % name)


def errors(value, schema, where="$", resolve=None):
    """Yields a message for each way value breaks schema.  resolve turns a
    "$ref" (a file name beside the schema) into that schema."""
    unknown = set(schema) - HANDLED
    assert not unknown, "schema keyword(s) this test cannot check: %s" % sorted(unknown)
    if "$ref" in schema:
        assert resolve is not None, "%s: $ref without a resolver" % where
        yield from errors(value, resolve(schema["$ref"]), where, resolve)
    for sub in schema.get("allOf", []):
        yield from errors(value, sub, where, resolve)
    if "type" in schema and not type_ok(value, schema["type"]):
        yield "%s: not %s" % (where, schema["type"])
        return
    if "const" in schema and value != schema["const"]:
        yield "%s: not %r" % (where, schema["const"])
    if "enum" in schema and value not in schema["enum"]:
        yield "%s: not one of %s" % (where, schema["enum"])
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            yield "%s: does not match %s" % (where, schema["pattern"])
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            yield "%s: too long" % where
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            yield "%s: below minimum" % where
        if "maximum" in schema and value > schema["maximum"]:
            yield "%s: above maximum" % where
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            yield "%s: fewer than %d items" % (where, schema["minItems"])
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            yield "%s: too many items" % where
        if schema.get("uniqueItems"):
            seen = [json.dumps(v, sort_keys=True) for v in value]
            if len(seen) != len(set(seen)):
                yield "%s: repeated items" % where
        for i, item in enumerate(value):
            yield from errors(item, schema.get("items", {}), "%s[%d]" % (where, i), resolve)
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                yield "%s: missing %s" % (where, key)
        extra = schema.get("additionalProperties", True)
        assert extra in (True, False)
        if extra is False:
            for key in value:
                if key not in schema.get("properties", {}):
                    yield "%s: unknown member %s" % (where, key)
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                yield from errors(value[key], sub, "%s.%s" % (where, key), resolve)
    if "not" in schema and not list(errors(value, schema["not"], where, resolve)):
        yield "%s: matches a forbidden form" % where
    if "if" in schema:
        branch = "then" if not list(errors(value, schema["if"], where, resolve)) else "else"
        if branch in schema:
            yield from errors(value, schema[branch], where, resolve)


def schema_loader(folder):
    """A resolve for errors(): a schema file of folder by name ("head.schema.json")."""
    def load(name):
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            return json.load(f)
    return load


def main():
    schema_path, corpus = sys.argv[1], sys.argv[2]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    failures = 0
    counts = {}
    for verdict in ("valid", "invalid"):
        folder = os.path.join(corpus, verdict)
        names = sorted(n for n in os.listdir(folder) if n.endswith(".json"))
        counts[verdict] = len(names)
        for name in names:
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                found = list(errors(json.load(f), schema))
            if verdict == "valid" and found:
                print("FAIL %s/%s: the schema refuses it: %s" % (verdict, name, found))
                failures += 1
            elif verdict == "invalid" and not found:
                print("FAIL %s/%s: the schema accepts it" % (verdict, name))
                failures += 1
    print("%d valid and %d invalid manifests judged, %d disagreements"
          % (counts["valid"], counts["invalid"], failures))
    return 1 if failures or counts["valid"] < 5 or counts["invalid"] < 20 else 0


if __name__ == "__main__":
    sys.exit(main())
