"""Restore drill, run by scripts/restore-drill.sh against DynamoDB Local.

Point-in-time restore and export/import need AWS, so this drill does locally what each produces: a new
table with the source's items, which the operator must give back what the restore does not carry (TTL
above all). It then proves that new table serves as the original did.

1. A source table made and filled by the service's own code (tests/src/bin/seed_table.rs, which
   scripts/restore-drill.sh runs first): organisations (one inactive), their email reservations, keys
   (live and test, revoked, expiring, rolled, leaked, bound to addresses), their events, idempotency records
   and usage. Checked here: its schema and
   TTL are template.yaml's `Table`'s, every kind of item the service writes is in it, and no item is of a
   kind the drill does not know (the service writing something new means the drill must learn it).
2. "Restore": a second table made from the source's description (keys, attribute types, indexes), TTL
   switched on again, every item scanned and batch-written.
3. Export and import: every item written, gzipped, in the DynamoDB JSON export format (one
   `{"Item": {...}}` per line, as `export-table-to-point-in-time` writes to S3), then read back into a third
   table created from the template's schema (what `import-table --table-creation-parameters` gets), TTL
   switched on again.
4. For each new table: the same schema and TTL, the same item count, every item equal, every key found by
   its hash through the key-hash index, and the reads the service makes (organisation, email reservation,
   an organisation's keys and its usage) answered as from the source.
5. The checks are checked: a deleted item and a changed attribute in a copy must make them fail, and a
   kind of item gone missing from the source or one the drill does not know must fail the source check.

Any mismatch ends the drill with a message and exit status 1.
"""

import argparse
import base64
import gzip
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import boto3
import yaml
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

KEY_HASH_INDEX = "key_hash-index"
KEY_HASH_ATTRIBUTE = "key_hash"
TTL_ATTRIBUTE = "expires_at_epoch"


class DrillFailure(Exception):
    """A check that did not hold; its message says which."""


# ---- the template's table ------------------------------------------------------------------------------


class _TemplateLoader(yaml.SafeLoader):
    """Reads CloudFormation YAML: a short-form intrinsic (!Ref, !If, ...) becomes {"Fn::...": value}."""


def _intrinsic(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


_TemplateLoader.add_multi_constructor("!", _intrinsic)


def template_schema(path):
    """create_table arguments (without the name) and the TTL attribute of the template's `Table`."""
    template = yaml.load(Path(path).read_text(), Loader=_TemplateLoader)
    props = template["Resources"]["Table"]["Properties"]
    if props.get("BillingMode") != "PAY_PER_REQUEST":
        raise DrillFailure(f"{path}: the drill expects an on-demand table, found {props.get('BillingMode')}")
    schema = {
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "GlobalSecondaryIndexes": [
            {"IndexName": gsi["IndexName"], "KeySchema": gsi["KeySchema"], "Projection": gsi["Projection"]}
            for gsi in props.get("GlobalSecondaryIndexes", [])
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }
    ttl = props.get("TimeToLiveSpecification", {})
    index = [gsi for gsi in schema["GlobalSecondaryIndexes"] if gsi["IndexName"] == KEY_HASH_INDEX]
    if not index or index[0]["KeySchema"] != [{"AttributeName": KEY_HASH_ATTRIBUTE, "KeyType": "HASH"}]:
        raise DrillFailure(f"{path}: no {KEY_HASH_INDEX} keyed by {KEY_HASH_ATTRIBUTE}; update the drill")
    if ttl.get("AttributeName") != TTL_ATTRIBUTE or not ttl.get("Enabled"):
        raise DrillFailure(f"{path}: TTL is not on {TTL_ATTRIBUTE}; update the drill")
    return schema, ttl["AttributeName"]


# ---- items ---------------------------------------------------------------------------------------------

# Every kind of item the service writes (shared/store/src/records.rs and usage.rs), by its key's shape:
# (kind, partition prefix, sort key or sort prefix, whether the sort is a prefix).
ITEM_KINDS = (
    ("organisation", "ORG#", "ORG", False),
    ("key", "ORG#", "KEY#", True),
    ("usage", "ORG#", "USAGE#", True),
    ("event", "ORG#", "EVENT#", True),
    ("email reservation", "EMAIL#", "EMAIL", False),
    ("idempotency record", "IDEMPOTENCY#", "IDEMPOTENCY", False),
)


def item_kind(item):
    """The kind of a stored item by its keys, or None for one the drill does not know."""
    pk, sk = item_key(item)
    for kind, partition, sort, prefix in ITEM_KINDS:
        if pk.startswith(partition) and (sk.startswith(sort) if prefix else sk == sort):
            return kind
    return None


def check_source(items):
    """The seeded table holds every kind of item the service writes, and the variants that matter to a
    restore (inactive organisation; revoked, expiring, test, rolled, leaked and address-bound keys; the
    organisation's own events; TTL holders), and nothing the
    drill does not know. Returns the count of each kind."""
    kinds = {kind: [] for kind, *_ in ITEM_KINDS}
    unknown = []
    for item in items:
        kind = item_kind(item)
        (kinds[kind] if kind else unknown).append(item)
    problems = [f"no {kind} item: the seed (tests/src/bin/seed_table.rs) or the drill is behind the service"
                for kind, found in kinds.items() if not found]
    if unknown:
        problems.append(f"{len(unknown)} item(s) of a kind the drill does not know, e.g. "
                        f"{[item_key(i) for i in unknown[:3]]}: teach the drill (ITEM_KINDS) what they are")
    variants = {
        "an inactive organisation": any(not i["is_active"]["BOOL"] for i in kinds["organisation"]),
        "a revoked key": any("revoked_at" in i for i in kinds["key"]),
        "an expiring key": any("expires_at" in i for i in kinds["key"]),
        "a test key": any(i["environment"]["S"] == "test" for i in kinds["key"]),
        "a key of an inactive organisation": any(not i["org_is_active"]["BOOL"] for i in kinds["key"]),
        "a key revoked as leaked": any("revoked_reason" in i for i in kinds["key"]),
        "a key bound to addresses": any("allowed_ips" in i for i in kinds["key"]),
        "an organisation's own event": any("subject_key_id" not in i for i in kinds["event"]),
        f"items with {TTL_ATTRIBUTE} (TTL)": any(TTL_ATTRIBUTE in i for i in items),
    }
    problems.extend(f"no {variant} in the seeded table" for variant, present in variants.items() if not present)
    if problems:
        raise DrillFailure("the seeded source is not what the service writes:\n  - " + "\n  - ".join(problems))
    return {kind: len(found) for kind, found in kinds.items()}


def item_key(item):
    return (item["pk"]["S"], item["sk"]["S"])


# ---- DynamoDB ------------------------------------------------------------------------------------------


def create_table(client, name, schema, ttl_attribute):
    """CreateTable, wait until ACTIVE, then switch TTL on (a separate call, as on AWS)."""
    client.create_table(TableName=name, **schema)
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    client.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"AttributeName": ttl_attribute, "Enabled": True})


def described_schema(client, name):
    """What DescribeTable says of a table, in create_table's terms (what a restore carries over)."""
    table = client.describe_table(TableName=name)["Table"]
    schema = {
        "AttributeDefinitions": table["AttributeDefinitions"],
        "KeySchema": table["KeySchema"],
        "BillingMode": table.get("BillingModeSummary", {}).get("BillingMode", "PAY_PER_REQUEST"),
    }
    indexes = [
        {"IndexName": gsi["IndexName"], "KeySchema": gsi["KeySchema"], "Projection": gsi["Projection"]}
        for gsi in table.get("GlobalSecondaryIndexes", [])
    ]
    if indexes:
        schema["GlobalSecondaryIndexes"] = indexes
    return schema


def ttl_of(client, name):
    description = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    return description.get("TimeToLiveStatus"), description.get("AttributeName")


def scan_all(client, name):
    items = []
    for page in client.get_paginator("scan").paginate(TableName=name, ConsistentRead=True):
        items.extend(page["Items"])
    return items


def batch_write(client, name, items):
    """BatchWriteItem in chunks of 25, resending what DynamoDB leaves unprocessed."""
    for start in range(0, len(items), 25):
        requests = {name: [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]}
        for attempt in range(10):
            requests = client.batch_write_item(RequestItems=requests)["UnprocessedItems"]
            if not requests:
                break
            time.sleep(0.05 * 2 ** attempt)
        else:
            raise DrillFailure(f"{name}: items still unprocessed after 10 attempts")


# ---- export format -------------------------------------------------------------------------------------


def _to_json(value):
    """A boto3 attribute value as DynamoDB JSON (binary as base64, as exports write it)."""
    (kind, inner), = value.items()
    if kind == "B":
        return {"B": base64.b64encode(inner).decode()}
    if kind == "BS":
        return {"BS": [base64.b64encode(b).decode() for b in inner]}
    if kind == "L":
        return {"L": [_to_json(v) for v in inner]}
    if kind == "M":
        return {"M": {k: _to_json(v) for k, v in inner.items()}}
    return {kind: inner}


def _from_json(value):
    (kind, inner), = value.items()
    if kind == "B":
        return {"B": base64.b64decode(inner)}
    if kind == "BS":
        return {"BS": [base64.b64decode(b) for b in inner]}
    if kind == "L":
        return {"L": [_from_json(v) for v in inner]}
    if kind == "M":
        return {"M": {k: _from_json(v) for k, v in inner.items()}}
    return {kind: inner}


def export_table(client, name, directory):
    """Writes data/<file>.json.gz (one {"Item": ...} per line) and manifest-summary.json, as an export does."""
    items = scan_all(client, name)
    data = directory / "data"
    data.mkdir(parents=True, exist_ok=True)
    path = data / f"{name}.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for item in items:
            out.write(json.dumps({"Item": {k: _to_json(v) for k, v in item.items()}}, ensure_ascii=False) + "\n")
    manifest = {"exportFormat": "DYNAMODB_JSON", "itemCount": len(items), "dataFiles": [str(path.relative_to(directory))]}
    (directory / "manifest-summary.json").write_text(json.dumps(manifest))
    return path, len(items)


def import_table(client, directory, name, schema, ttl_attribute):
    """What import-table does (a new table from the creation parameters, filled from the files), then TTL."""
    manifest = json.loads((directory / "manifest-summary.json").read_text())
    items = []
    for file in manifest["dataFiles"]:
        with gzip.open(directory / file, "rt", encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                record = json.loads(line)
                if set(record) != {"Item"}:
                    raise DrillFailure(f"{file}:{number}: not an export line ({sorted(record)})")
                items.append({k: _from_json(v) for k, v in record["Item"].items()})
    if len(items) != manifest["itemCount"]:
        raise DrillFailure(f"export holds {len(items)} items, its manifest says {manifest['itemCount']}")
    create_table(client, name, schema, ttl_attribute)
    batch_write(client, name, items)


# ---- the checks ----------------------------------------------------------------------------------------


def _normalised(schema):
    return {
        "AttributeDefinitions": sorted(schema["AttributeDefinitions"], key=lambda a: a["AttributeName"]),
        "KeySchema": schema["KeySchema"],
        "GlobalSecondaryIndexes": sorted(
            ({"IndexName": g["IndexName"], "KeySchema": g["KeySchema"],
              "ProjectionType": g["Projection"]["ProjectionType"]}
             for g in schema.get("GlobalSecondaryIndexes", [])),
            key=lambda g: g["IndexName"]),
        "BillingMode": schema["BillingMode"],
    }


def verify(client, source, target, ttl_attribute):
    """Every way `target` must match `source` to serve in its place; returns the problems found."""
    problems = []
    if _normalised(described_schema(client, source)) != _normalised(described_schema(client, target)):
        problems.append(f"schema differs: {_normalised(described_schema(client, target))}")
    status, attribute = ttl_of(client, target)
    if (status, attribute) != ("ENABLED", ttl_attribute):
        problems.append(f"TTL is {status} on {attribute}, expected ENABLED on {ttl_attribute}")

    expected = {item_key(item): item for item in scan_all(client, source)}
    actual = {item_key(item): item for item in scan_all(client, target)}
    if len(actual) != len(expected):
        problems.append(f"{len(actual)} items, the source has {len(expected)}")
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    changed = sorted(k for k in set(expected) & set(actual) if expected[k] != actual[k])
    for label, keys in (("missing", missing), ("not in the source", extra), ("different", changed)):
        if keys:
            problems.append(f"{len(keys)} item(s) {label}, e.g. {keys[:3]}")

    # What the service reads: a key by its hash (the index), an organisation, an email reservation, and an
    # organisation's keys (Query on the partition).
    keys = [item for item in expected.values() if KEY_HASH_ATTRIBUTE in item]
    found = 0
    for item in keys:
        answer = client.query(
            TableName=target, IndexName=KEY_HASH_INDEX,
            KeyConditionExpression="#h = :h", ExpressionAttributeNames={"#h": KEY_HASH_ATTRIBUTE},
            ExpressionAttributeValues={":h": item[KEY_HASH_ATTRIBUTE]})["Items"]
        if [item_key(i) for i in answer] == [item_key(item)] and answer[0] == item:
            found += 1
    if found != len(keys):
        problems.append(f"the key-hash index found {found} of {len(keys)} keys by their hash")
    unknown = client.query(
        TableName=target, IndexName=KEY_HASH_INDEX, KeyConditionExpression="#h = :h",
        ExpressionAttributeNames={"#h": KEY_HASH_ATTRIBUTE},
        ExpressionAttributeValues={":h": {"S": hashlib.sha256(b"mem_live_not-a-key").hexdigest()}})["Items"]
    if unknown:
        problems.append("the key-hash index found an unknown key")
    for (pk, sk), item in expected.items():
        if sk in ("ORG", "EMAIL"):
            got = client.get_item(TableName=target, Key={"pk": {"S": pk}, "sk": {"S": sk}},
                                  ConsistentRead=True).get("Item")
            if got != item:
                problems.append(f"GetItem {pk}/{sk} answered differently")
        if sk == "ORG":
            for prefix, what in (("KEY#", "keys"), ("USAGE#", "usage items")):
                want = sum(1 for (p, s) in expected if p == pk and s.startswith(prefix))
                have = sum(page["Count"] for page in client.get_paginator("query").paginate(
                    TableName=target, KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                    ExpressionAttributeValues={":pk": {"S": pk}, ":prefix": {"S": prefix}}, ConsistentRead=True))
                if have != want:
                    problems.append(f"Query {pk} {prefix}: {have} {what}, the source has {want}")
    return problems, {"items": len(actual), "keys": found}


def check(client, source, target, ttl_attribute, label):
    problems, counts = verify(client, source, target, ttl_attribute)
    if problems:
        raise DrillFailure(f"{label} ({target}) does not serve as the source does:\n  - " + "\n  - ".join(problems))
    print(f"OK   {label}: {counts['items']} items equal, {counts['keys']} keys found by hash through "
          f"{KEY_HASH_INDEX}, schema equal, TTL on {ttl_attribute}, service reads answered alike")


def check_the_checks(client, source, target, ttl_attribute):
    """The checks must catch a missing item and a changed attribute (done on a table about to be deleted)."""
    items = scan_all(client, target)
    keys = [item for item in items if KEY_HASH_ATTRIBUTE in item]
    client.delete_item(TableName=target, Key={"pk": keys[0]["pk"], "sk": keys[0]["sk"]})
    client.update_item(TableName=target, Key={"pk": keys[1]["pk"], "sk": keys[1]["sk"]},
                       UpdateExpression="SET #n = :n", ExpressionAttributeNames={"#n": "name"},
                       ExpressionAttributeValues={":n": {"S": "renamed behind the drill's back"}})
    problems, _ = verify(client, source, target, ttl_attribute)
    if not (any("missing" in p for p in problems) and any("different" in p for p in problems)):
        raise DrillFailure(f"the checks missed a deleted item and a changed attribute: {problems}")
    print(f"OK   the checks catch a deleted item and a changed attribute ({len(problems)} problems reported)")


def check_the_source_check(items):
    """The source check must catch a kind of item gone missing and one it does not know (on copies in memory)."""
    without_usage = [item for item in items if item_kind(item) != "usage"]
    stranger = items + [{"pk": {"S": "ORG#org_drill"}, "sk": {"S": "QUOTA#2026-12"}}]
    for label, sample, expected in (("a missing kind", without_usage, "no usage item"),
                                    ("an unknown kind", stranger, "does not know")):
        try:
            check_source(sample)
        except DrillFailure as failure:
            if expected in str(failure):
                continue
            raise DrillFailure(f"the source check saw {label} but said: {failure}") from failure
        raise DrillFailure(f"the source check missed {label}")
    print("OK   the source check catches a kind of item gone missing and one the drill does not know")


# ---- main ----------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True, help="DynamoDB Local, e.g. http://127.0.0.1:8071")
    parser.add_argument("--template", required=True, help="template.yaml (its Table is the schema expected)")
    parser.add_argument("--source", required=True,
                        help="the table seed_table made and filled (the drill deletes it when done)")
    parser.add_argument("--keep-export", metavar="DIR", help="write the export here and keep it")
    args = parser.parse_args()
    if urlparse(args.endpoint).hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit(f"restore drill: {args.endpoint} is not DynamoDB Local on this machine; refusing")

    client = boto3.client(
        "dynamodb", endpoint_url=args.endpoint, region_name="us-east-1",
        aws_access_key_id="local", aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=5, read_timeout=30))
    source = args.source
    restored, imported = f"{source}-restored", f"{source}-imported"
    created = [source]
    try:
        schema, ttl_attribute = template_schema(args.template)
        # The seed made the source with the code's schema (store::schema): it must be the template's.
        if _normalised(described_schema(client, source)) != _normalised(schema):
            raise DrillFailure(f"{source}: the code's schema {_normalised(described_schema(client, source))} "
                               f"is not {args.template}'s {_normalised(schema)}")
        if ttl_of(client, source) != ("ENABLED", ttl_attribute):
            raise DrillFailure(f"{source}: TTL is {ttl_of(client, source)}, {args.template} has {ttl_attribute}")
        items = scan_all(client, source)
        kinds = check_source(items)
        print(f"OK   source {source}: {len(items)} items written by the service's own code ("
              + ", ".join(f"{count} {kind}" for kind, count in kinds.items())
              + f"), every kind it writes; schema and TTL as {args.template}'s")

        # Restore: a new table from the source's description, TTL on again, every item copied.
        create_table(client, restored, described_schema(client, source), ttl_attribute)
        created.append(restored)
        batch_write(client, restored, scan_all(client, source))
        check(client, source, restored, ttl_attribute, "restore (copy into a new table)")

        # Export to files in DynamoDB's export format, import into a new table from the template's schema.
        with tempfile.TemporaryDirectory() as scratch:
            directory = Path(args.keep_export or scratch)
            path, count = export_table(client, source, directory)
            print(f"OK   export: {count} lines of {{\"Item\": ...}} in {path}")
            created.append(imported)
            import_table(client, directory, imported, schema, ttl_attribute)
        check(client, source, imported, ttl_attribute, "export and import")

        check_the_checks(client, source, restored, ttl_attribute)
        check_the_source_check(items)
    except DrillFailure as failure:
        print(f"FAIL restore drill: {failure}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as error:
        print(f"FAIL restore drill: DynamoDB Local at {args.endpoint}: {error}", file=sys.stderr)
        return 1
    finally:
        for name in created:
            try:
                client.delete_table(TableName=name)
            except (BotoCoreError, ClientError):
                pass  # already gone, or DynamoDB Local is: either way nothing is left behind
    print("restore drill passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
