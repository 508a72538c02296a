#!/usr/bin/env python3
"""Writes a customer import file for `fiducia users import` (JSON Lines,
one customer per line; README.md "Customer accounts"): N customers with
names, e-mail, birthdate, an address, a payment account and one verified
claim set (UK framework, a passport), about 1.4 KB a line.

    scripts/gen-customers.py 100000 > customers.jsonl             # password per line
    scripts/gen-customers.py 100000 --prehashed > prehashed.jsonl  # password_hash per line

--prehashed writes `password_hash`: argon2id PHC strings with the OWASP
minimum cost (m=19456, t=2, p=1) and a random salt and tag each, in the
format a bank's previous system hands over. They parse and pass the
import's checks, but as the tag is random, no password matches them:
this is for measuring the import, not for signing in.

Deterministic for a given --seed, so runs can be compared.
"""

import argparse
import base64
import json
import random
import sys

GIVEN = ["Olivia", "Amelia", "Isla", "Ava", "Mia", "Noah", "Oliver", "George", "Arthur", "Leo",
         "Freya", "Lily", "Harry", "Jack", "Oscar", "Sophia", "Grace", "Theo", "Finley", "Ella"]
FAMILY = ["Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
          "Johnson", "Roberts", "Walker", "Wright", "Robinson", "Thompson", "White", "Hughes"]
TOWNS = [("Leeds", "LS1"), ("York", "YO1"), ("Bristol", "BS1"), ("Cardiff", "CF10"),
         ("Norwich", "NR1"), ("Exeter", "EX1"), ("Durham", "DH1"), ("Bath", "BA1")]


def b64(raw):
    return base64.b64encode(raw).decode().rstrip("=")


def customer(i, rng, prehashed):
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    town, district = rng.choice(TOWNS)
    born = f"{rng.randint(1940, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    address = {
        "street_address": f"{rng.randint(1, 250)} {rng.choice(FAMILY)} Road",
        "locality": town,
        "postal_code": f"{district} {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTU')}",
        "country": "GB",
    }
    line = {
        "username": f"customer{i:07d}",
        "sub": f"acc-{i:07d}",
        "name": f"{given} {family}",
        "given_name": given,
        "family_name": family,
        "email": f"customer{i}@example.com",
        "email_verified": True,
        "birthdate": born,
        "address": address,
        "nationalities": ["GBR"],
        "verified_claims": {
            "verification": {
                "trust_framework": "uk_tfida",
                "assurance_level": "medium",
                "time": "2024-06-01T10:00:00Z",
                "evidence": [{
                    "type": "document",
                    "check_details": [{"check_method": "vcrypt", "time": "2024-06-01T09:58:00Z"}],
                    "document_details": {
                        "type": "passport",
                        "document_number": f"{rng.randint(100000000, 999999999)}",
                        "date_of_issuance": "2020-03-02",
                        "date_of_expiry": "2030-03-01",
                        "issuer": {"name": "HM Passport Office", "country": "GB"},
                    },
                }],
            },
            "claims": {"given_name": given, "family_name": family, "birthdate": born, "address": address},
        },
        "accounts": [{"identification": f"GB{rng.randint(10, 99)}FDCA0400{i:010d}", "currency": "GBP",
                      "name": "Current account"}],
    }
    if prehashed:
        salt, tag = rng.randbytes(16), rng.randbytes(32)
        line["password_hash"] = f"$argon2id$v=19$m=19456,t=2,p=1${b64(salt)}${b64(tag)}"
    else:
        line["password"] = f"pw-{i}-{rng.randint(0, 10**9)}"
    return line


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("count", type=int)
    parser.add_argument("--prehashed", action="store_true", help="password_hash instead of password")
    parser.add_argument("--seed", type=int, default=22)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    out = sys.stdout
    for i in range(args.count):
        out.write(json.dumps(customer(i, rng, args.prehashed), separators=(",", ":")))
        out.write("\n")


if __name__ == "__main__":
    main()
