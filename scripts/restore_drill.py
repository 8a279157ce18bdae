"""Restore drill, run by scripts/restore-drill.sh against DynamoDB Local.

Point-in-time restore and export/import need AWS, so this drill does locally what each produces: a new
table with the source's items, which the operator must give back what the restore does not carry (TTL
above all). It then proves that new table serves as the original did.

1. A source table with the schema of template.yaml's `Table` (keys, key-hash index, TTL), holding a
   realistic set of items: organisations, their email reservations, keys (live and test, revoked,
   expiring, of an inactive organisation) and idempotency records.
2. "Restore": a second table made from the source's description (keys, attribute types, indexes), TTL
   switched on again, every item scanned and batch-written.
3. Export and import: every item written, gzipped, in the DynamoDB JSON export format (one
   `{"Item": {...}}` per line, as `export-table-to-point-in-time` writes to S3), then read back into a third
   table created from the template's schema (what `import-table --table-creation-parameters` gets), TTL
   switched on again.
4. For each new table: the same schema and TTL, the same item count, every item equal, every key found by
   its hash through the key-hash index, and the reads the service makes (organisation, email reservation,
   an organisation's keys) answered as from the source.
5. The checks are checked: a deleted item and a changed attribute in a copy must make them fail.

Any mismatch ends the drill with a message and exit status 1.
"""

import argparse
import base64
import gzip
import hashlib
import json
import random
import string
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlparse

import boto3
import yaml
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

KEY_HASH_INDEX = "key_hash-index"
KEY_HASH_ATTRIBUTE = "key_hash"
TTL_ATTRIBUTE = "expires_at_epoch"
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


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


def sample_items(seed=20261123):
    """Items shaped as shared/store/src/records.rs writes them; the keys are made up (seeded), only their
    hashes are stored, and none is printed."""
    rng = random.Random(seed)
    now = datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)

    def rid(prefix):
        return prefix + "_" + "".join(rng.choice(BASE62) for _ in range(20))

    def stamp(delta):
        return (now + delta).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def s(value):
        return {"S": value}

    organisations = [
        ("My Company", "admin@mycompany.com", "free", True, 1),
        ("Müller & Søn GmbH", "Ops@Mueller-Soen.de", "starter", True, 3),
        ("株式会社メモリ", "info@memory.example.jp", "starter", True, 12),
        ("Closed Ltd", "owner@closed.example", "free", False, 2),
        ("Big Integrator", "platform@big.example", "starter", True, 25),
        ("Tiny Test", "dev@tiny.example", "free", True, 4),
    ]
    items = []
    for number, (name, email, plan, active, key_count) in enumerate(organisations):
        org_id = rid("org")
        pk = s(f"ORG#{org_id}")
        created = stamp(timedelta(days=-300 + number * 40))
        items.append({
            "pk": pk, "sk": s("ORG"), "org_id": s(org_id), "name": s(name), "email": s(email),
            "plan_id": s(plan), "is_active": {"BOOL": active}, "created_at": s(created),
            "admin_revocations": {"N": str(number % 3)},
        })
        items.append({"pk": s(f"EMAIL#{email.lower()}"), "sk": s("EMAIL"), "org_id": s(org_id)})
        for k in range(key_count):
            environment = "test" if k % 4 == 3 else "live"
            key = f"mem_{environment}_" + "".join(rng.choice(BASE62) for _ in range(40))
            key_id = rid("key")
            scopes = ["read", "write", "delete", "admin"] if k == 0 else rng.sample(
                ["read", "write", "delete", "admin"], rng.randint(1, 3))
            item = {
                "pk": pk, "sk": s(f"KEY#{key_id}"), "key_id": s(key_id), "org_id": s(org_id),
                "name": s("Default Key" if k == 0 else f"CI/CD Key {k}"), "key_prefix": s(key[:15] + "..."),
                "environment": s(environment), "scopes": {"L": [s(scope) for scope in scopes]},
                KEY_HASH_ATTRIBUTE: s(hashlib.sha256(key.encode()).hexdigest()),
                "is_active": {"BOOL": k % 5 != 4}, "org_is_active": {"BOOL": active},
                "created_at": s(stamp(timedelta(days=-200 + k))),
            }
            if k % 5 == 4:
                item["revoked_at"] = s(stamp(timedelta(days=-3)))
            if k % 3 == 2:
                item["expires_at"] = s(stamp(timedelta(days=90)))
            if k % 2 == 0:
                item["last_used_at"] = s(stamp(timedelta(minutes=-k)))
            items.append(item)
    # Idempotency records (the TTL attribute's only holders): expiring a day from now, not mid-drill.
    for number in range(3):
        record_id = hashlib.sha256(f"record-{number}-{rng.random()}".encode()).hexdigest()
        items.append({
            "pk": s(f"IDEMPOTENCY#{record_id}"), "sk": s("IDEMPOTENCY"), "record_id": s(record_id),
            "fingerprint": s(hashlib.sha256(f"fp-{number}".encode()).hexdigest()),
            "salt": s(base64.b64encode(rng.randbytes(16)).decode()),
            "created_key_hash": s(hashlib.sha256(f"created-{number}".encode()).hexdigest()),
            "outcome": s(json.dumps({"status": 201, "key_id": rid("key")})),
            "created_at": s(stamp(timedelta(minutes=-number))),
            TTL_ATTRIBUTE: {"N": str(int(time.time()) + 24 * 3600)},
        })
    return items


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
            want = sum(1 for (p, s) in expected if p == pk and s.startswith("KEY#"))
            have = sum(page["Count"] for page in client.get_paginator("query").paginate(
                TableName=target, KeyConditionExpression="pk = :pk AND begins_with(sk, :key)",
                ExpressionAttributeValues={":pk": {"S": pk}, ":key": {"S": "KEY#"}}, ConsistentRead=True))
            if have != want:
                problems.append(f"Query {pk} KEY#: {have} keys, the source has {want}")
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


# ---- main ----------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True, help="DynamoDB Local, e.g. http://127.0.0.1:8071")
    parser.add_argument("--template", required=True, help="template.yaml (its Table is the source's schema)")
    parser.add_argument("--keep-export", metavar="DIR", help="write the export here and keep it")
    args = parser.parse_args()
    if urlparse(args.endpoint).hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit(f"restore drill: {args.endpoint} is not DynamoDB Local on this machine; refusing")

    client = boto3.client(
        "dynamodb", endpoint_url=args.endpoint, region_name="us-east-1",
        aws_access_key_id="local", aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=5, read_timeout=30))
    run = f"restore-drill-{int(time.time())}"
    source, restored, imported = f"{run}-source", f"{run}-restored", f"{run}-imported"
    created = []
    try:
        schema, ttl_attribute = template_schema(args.template)
        create_table(client, source, schema, ttl_attribute)
        created.append(source)
        items = sample_items()
        batch_write(client, source, items)
        if len(scan_all(client, source)) != len(items):
            raise DrillFailure(f"{source}: wrote {len(items)} items, scanned back a different number")
        print(f"OK   source {source}: {len(items)} items "
              f"({sum(1 for i in items if KEY_HASH_ATTRIBUTE in i)} keys), schema from {args.template}")

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
