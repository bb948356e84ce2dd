"""Validates workflow files against schemas/workflow.schema.json (jsonschema and PyYAML come with
Airflow) and prints the errors per file as JSON."""

import json
import sys

import jsonschema
import yaml



class Yaml12Loader(yaml.SafeLoader):
    """YAML like the core reads it: `2025-01-01` is text (YAML 1.2 core schema), not a date."""


Yaml12Loader.yaml_implicit_resolvers = {
    k: [(tag, regexp) for tag, regexp in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft202012Validator(schema)
out = {}
for path in sys.argv[2:]:
    data = yaml.load(open(path), Loader=Yaml12Loader)
    out[path] = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(data)]
print("CWS-RESULT " + json.dumps(out))
