# SPDX-License-Identifier: MIT
# Validates JSON documents against tm's schemas (docs/schemas).
# usage: jsonschema_check.py SCHEMA_ID FILE [--lines] [--array]
import json
import os
import sys

try:
    import jsonschema
    from referencing import Registry, Resource
except ImportError:
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    Registry = None
    import jsonschema

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "schemas")
schemas = {}
for f in os.listdir(here):
    if f.endswith(".schema.json"):
        with open(os.path.join(here, f)) as fh:
            s = json.load(fh)
        schemas[s["$id"]] = s

want, path = sys.argv[1], sys.argv[2]
# a part of a schema: urn:tm:health:1#/$defs/doc
top = schemas[want] if want in schemas else {"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": want}
if Registry is not None:
    reg = Registry().with_resources([(k, Resource.from_contents(v)) for k, v in schemas.items()])
    v = jsonschema.Draft202012Validator(top, registry=reg)
else:
    resolver = jsonschema.RefResolver("", top, store=schemas)
    v = jsonschema.Draft202012Validator(top, resolver=resolver)
with open(path) as fh:
    if "--lines" in sys.argv:
        docs = [json.loads(l) for l in fh if l.strip()]
    else:
        docs = json.load(fh)
        if "--array" not in sys.argv:
            docs = [docs]
bad = 0
for d in docs:
    for e in v.iter_errors(d):
        print("%s: %s at %s" % (path, e.message, "/".join(map(str, e.absolute_path))))
        bad += 1
print("ok: %d document(s) of %s valid in %s" % (len(docs), want, path) if not bad else "")
sys.exit(1 if bad else 0)
