"""A deterministic generator of realistic, valid postmortems for benchmarks.

    python benchmarks/corpus.py OUT_DIR -n 1000 [--seed 0]

writes a complete knowledge base into OUT_DIR:

- `mkdocs.yml`: Material with the `pmkb` plugin (its templates ship in the package; its Pagefind index replaces
  Material's `search`);
- `mkdocs-plain.yml`: the baseline, the same Markdown built by plain Material (plugins: `search` only, the nav
  reduced to the home page, MkDocs told not to log the thousands of pages left out of the nav);
- `postmortems/YYYY/YYYY-MM-DD-slug.md`: N postmortems, oldest first, each with every SPEC field in use, bodies of
  about 4-5 KB of incident-themed text under the usual headings, and a vocabulary of a few thousand words;
- `postmortems/index.md` and two runbooks under `postmortems/runbooks/`.

The same (n, seed) always writes the same bytes. Every file passes `pmkb lint` with no error (overdue action items
are warnings, and some are overdue on purpose: due dates are a mix of past and future relative to `TODAY`).
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import random
import re
import shutil
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TODAY = date(2026, 11, 21)  # the frozen "today" (PMKB_TODAY) the due dates are chosen against
FIRST_DAY = date(2014, 1, 6)
LAST_DAY = date(2026, 11, 14)
CONFIG = "mkdocs.yml"
PLAIN_CONFIG = "mkdocs-plain.yml"
DOCS = "postmortems"
RUNBOOKS = ("runbooks/incident-response.md", "runbooks/database-failover.md")

# -- the taxonomy (the built-in one) -------------------------------------------------------------------------------

SEVERITIES = (("SEV1", 8), ("SEV2", 24), ("SEV3", 45), ("SEV4", 23))
# Not `unknown`: it is the placeholder `pmkb new` writes, which the publish gate refuses in a published postmortem.
CAUSES = (
    "software-bug deployment config-change capacity dependency hardware network data-integrity security expiry "
    "manual-operation testing-gap monitoring-gap"
).split()
CAUSE_WEIGHTS = (22, 14, 14, 10, 9, 5, 8, 4, 3, 4, 5, 4, 6)
TRIGGERS = (
    "code-deploy config-change infrastructure-change traffic-change dependency-change manual-action time-event "
    "latent unknown"
).split()
DETECTIONS = ("alert", "user-report", "internal-report", "automated-test", "unknown")
DETECTION_WEIGHTS = (55, 20, 15, 7, 3)

# -- the organisation ------------------------------------------------------------------------------------------

SERVICES = (
    "checkout cart payments billing invoicing ledger accounts auth sso identity profile search catalog pricing "
    "inventory orders shipping fulfilment notifications email sms push-gateway web-frontend mobile-api api-gateway "
    "edge-proxy cdn dns load-balancer service-mesh kafka zookeeper postgres mysql redis memcached elasticsearch "
    "object-storage block-storage backup scheduler batch-jobs etl data-warehouse analytics reporting "
    "feature-flags config-service secrets vault ci build-farm artifact-registry deploy-pipeline kubernetes "
    "monitoring logging tracing alertmanager status-page"
).split()
TAGS = (
    "kubernetes docker terraform ansible helm istio envoy nginx haproxy postgres mysql redis memcached kafka "
    "rabbitmq zookeeper etcd consul vault elasticsearch prometheus grafana pagerduty jenkins github-actions "
    "argo-cd aws gcp azure s3 ec2 rds dynamodb lambda cloudfront route53 bgp tls certificates dns ipv6 mtu "
    "ntp leap-second clock-skew cron kernel systemd glibc openssl jvm golang python nodejs garbage-collection "
    "memory-leak oom-kill cpu-throttling disk-full inode-exhaustion file-descriptors connection-pool "
    "thread-starvation deadlock race-condition retry-storm thundering-herd cache-stampede cache-invalidation "
    "hot-partition split-brain leader-election quorum-loss replication-lag failover rollback canary "
    "blue-green feature-flag schema-migration index-rebuild vacuum backfill data-corruption data-loss "
    "duplicate-events ordering poison-message dead-letter-queue backpressure rate-limiting circuit-breaker "
    "timeout latency error-budget slo paging alert-fatigue runbook on-call escalation vendor third-party "
    "upstream cdn-outage ddos credential-leak expired-token key-rotation permissions iam audit compliance gdpr "
    "billing-error double-charge refund mobile ios android push-notifications email-delivery sms-delivery "
    "search-relevance ranking pricing-error inventory-drift batch-job etl-failure data-pipeline "
    "capacity-planning autoscaling quota cost-spike network-partition packet-loss firewall vpn load-shedding "
    "graceful-degradation observability tracing logging-gap sharding connection-reset grpc websocket "
    "cache-poisoning config-drift secrets-management"
).split()
ROLE_TEAMS = (
    "team-checkout team-payments team-identity team-search team-data team-platform team-network team-storage "
    "team-mobile team-web team-infra team-security team-sre team-release team-observability team-billing "
    "team-growth team-catalog team-logistics team-messaging dba on-call-primary platform-oncall"
).split()
HANDLES = (
    "amartin bchen cdiaz dokafor efischer fgarcia gnakamura hpatel ijohansson jkowalski kmurphy lrossi mnguyen "
    "nhaddad oadeyemi pschmidt qliu rsilva sbjork tyamamoto uokonkwo vpetrov wkim xmoreau yhassan zlindqvist"
).split()
FIRST_NAMES = (
    "Ada Alan Grace Linus Margaret Barbara Ken Dennis Radia Frances Katherine Edsger Donald Leslie Tim Vint Bjarne "
    "Guido Anita Sophie Hedy Jean Annie Shafi Whitfield Niklaus Adele Lynn Joan Mary Ravi Priya Wei Mei Kenji Yuki "
    "Olu Amara Lars Ingrid Mateo Lucia Omar Leila Pavel Irina Tomasz Agnieszka Diego Camila"
).split()
LAST_NAMES = (
    "Lovelace Turing Hopper Torvalds Hamilton Liskov Thompson Ritchie Perlman Allen Johnson Dijkstra Knuth Lamport "
    "Berners-Lee Cerf Stroustrup Rossum Borg Wilson Lamarr Sammet Easley Goldwasser Diffie Wirth Goldberg Conway "
    "Clarke Shaw Kumar Sharma Zhang Wang Tanaka Sato Adeyemi Okafor Nilsson Berg Garcia Fernandez Haddad Karimi "
    "Novak Petrova Nowak Kowalska Rojas Morales"
).split()

# -- the vocabulary --------------------------------------------------------------------------------------------

NOUNS = (
    "outage incident failure error fault defect regression bug crash restart reboot rollout rollback deploy release "
    "build image container pod node host server instance cluster region zone datacenter rack switch router link "
    "cable disk volume partition filesystem inode directory file socket port connection session handshake request "
    "response query transaction lock mutex thread process worker queue topic consumer producer broker replica "
    "primary secondary follower leader shard index table schema column row record batch job task cron schedule "
    "pipeline stage step script command flag setting parameter variable value threshold limit quota budget "
    "capacity headroom load traffic spike surge burst peak trough latency throughput bandwidth packet frame "
    "payload header token credential certificate key secret password account permission role policy rule alert "
    "page notification dashboard graph metric counter gauge histogram percentile sample trace span log message "
    "warning symptom signal check probe heartbeat healthcheck monitor runbook playbook procedure checklist ticket "
    "escalation handover responder commander scribe engineer operator customer user client partner vendor "
    "provider upstream downstream dependency library module package plugin driver kernel firmware patch upgrade "
    "migration backfill snapshot backup restore replication failover switchover election quorum heartbeat "
    "timeout retry backoff jitter storm herd stampede cache miss hit eviction warmup cooldown drain cordon "
    "deadline window maintenance freeze review approval change merge commit branch tag artifact registry mirror "
    "proxy gateway balancer resolver record zone nameserver certificate chain bundle store bucket object blob "
    "segment offset watermark checkpoint cursor lag backlog spillover overflow underflow leak pressure swap "
    "allocation heap stack buffer pool slot lease ticket permit semaphore budget estimate forecast plan "
    "assumption hypothesis theory finding evidence timeline decision tradeoff risk mitigation remediation "
    "workaround fix hotfix guardrail safeguard invariant assertion validation test coverage fixture mock canary "
    "cohort percentage fraction majority minority subset region tenant org workspace project environment staging "
    "production sandbox laptop terminal console shell editor browser app screen button form field page site "
    "storefront basket order invoice refund charge payment receipt shipment parcel warehouse courier label "
    "inventory stock price discount coupon campaign newsletter email inbox bounce complaint spam filter "
    "reputation domain subdomain address range subnet route prefix announcement peering transit carrier "
    "fiber circuit power supply battery generator cooling fan temperature sensor chassis controller array "
    "spindle sector block page frame clock drift skew second minute hour day week month quarter year weekend "
    "holiday night morning evening shift rotation pager phone bridge call channel thread chat room standup "
    "retrospective postmortem meeting agenda action owner deadline priority severity impact scope blast radius "
    "boundary contract interface endpoint route handler middleware serializer parser encoder decoder codec "
    "format encoding charset locale timezone offset calendar counterpart replica lineage ownership"
).split()
VERBS = (
    "fail crash restart reboot deploy release roll revert promote demote degrade recover restore resume pause "
    "retry queue block delay drain cordon evict schedule reschedule allocate exhaust saturate overload throttle "
    "limit reject drop lose corrupt truncate duplicate reorder replay replicate sync resync rebuild reindex "
    "migrate backfill snapshot compact vacuum rotate renew expire revoke leak spike surge flap oscillate "
    "converge diverge partition isolate reroute redirect resolve cache invalidate purge warm evaluate validate "
    "verify check monitor alert page notify escalate acknowledge triage investigate diagnose bisect reproduce "
    "confirm identify discover notice observe detect measure compare correlate suspect assume miss overlook "
    "ignore underestimate overestimate configure misconfigure override update upgrade downgrade patch pin "
    "unpin bump merge approve review test stage ship launch enable disable toggle flip remove delete archive "
    "import export ingest process parse serialize encode decode compress decompress encrypt decrypt sign "
    "authenticate authorize login logout connect disconnect reconnect time handle raise return accept refuse "
    "serve render load unload mount unmount format provision deprovision scale resize expand shrink split "
    "merge shard balance rebalance distribute route forward proxy mirror fence lock unlock release hold wait "
    "poll retry stall hang freeze start finish complete abort cancel skip stop drop ship plan "
    "scan log tag trip spot map"
).split()
DOUBLE_FINAL = {"stop", "drop", "ship", "plan", "scan", "log", "tag", "trip", "spot", "map", "flip", "pin", "unpin"}
IRREGULAR_PAST = {
    "lose": "lost",
    "hold": "held",
    "split": "split",
    "shrink": "shrunk",
    "freeze": "frozen",
    "hang": "hung",
}
IRREGULAR_PLURAL = {"hypothesis": "hypotheses", "chassis": "chassis", "radius": "radii", "evidence": "evidence"}
ADJECTIVES = (
    "stale partial intermittent persistent transient silent noisy slow fast sudden gradual unexpected expected "
    "unbounded bounded concurrent sequential parallel redundant single shared dedicated global regional local "
    "remote internal external public private primary secondary upstream downstream critical minor major "
    "severe mild frequent rare periodic hourly nightly weekly monthly quarterly manual automated automatic "
    "scripted undocumented documented outdated obsolete deprecated legacy modern new old large small tiny huge "
    "empty full half corrupted malformed invalid valid missing extra duplicate orphaned dangling inconsistent "
    "consistent eventual strong weak loose strict lenient aggressive conservative optimistic pessimistic "
    "misleading confusing unclear ambiguous explicit implicit hidden visible obvious subtle latent dormant "
    "active passive idle busy hot cold warm cached uncached encrypted unencrypted signed unsigned expired "
    "revoked rotated pinned floating mutable immutable idempotent retryable fatal recoverable unrecoverable "
    "degraded healthy unhealthy flaky reliable unreliable brittle robust fragile resilient elastic fixed "
    "dynamic static default custom experimental stable unstable canary nascent mature overloaded saturated "
    "exhausted throttled starved blocked stuck hung orphan noisy quiet elevated reduced doubled tripled "
    "unbounded asynchronous synchronous cross-region multi-tenant single-tenant read-only write-heavy "
    "read-heavy high-cardinality low-cardinality customer-facing user-visible internal-only"
).split()
ADVERBS = (
    "quickly slowly gradually suddenly silently repeatedly intermittently eventually immediately briefly "
    "partially completely mostly rarely frequently unexpectedly correctly incorrectly manually automatically "
    "safely unsafely cautiously aggressively temporarily permanently steadily sharply roughly nearly barely "
    "clearly quietly noticeably consistently sporadically periodically independently simultaneously "
    "sequentially concurrently"
).split()
TECH = (
    "TCP UDP HTTP HTTP/2 gRPC TLS DNS BGP NTP SSH SMTP IMAP OAuth SAML JWT JSON YAML protobuf Avro Parquet CSV SQL "
    "NoSQL Kafka Redis Postgres MySQL MongoDB Cassandra Elasticsearch Kubernetes Docker containerd Terraform Helm "
    "Ansible Envoy Nginx HAProxy Istio Linkerd Consul etcd ZooKeeper Prometheus Grafana Loki Jaeger OpenTelemetry "
    "PagerDuty Jenkins GitHub Bazel Gradle Maven npm pip JVM G1 ZGC goroutine asyncio epoll cgroups systemd "
    "iptables nftables conntrack MTU ARP VLAN VXLAN LACP ECMP anycast CIDR IPv4 IPv6 S3 EBS EC2 RDS IAM KMS "
    "CloudFront Route53 GCS BigQuery Pub/Sub Spanner Lambda Fargate ELB ALB NLB CDN WAF DDoS LRU TTL RPC API SDK "
    "CLI UI p50 p95 p99 QPS RPS IOPS RSS OOM SIGKILL SIGTERM segfault fsync WAL MVCC ACID CAP Raft Paxos"
).split()
PHRASES_LATER = (
    "after a routine deploy",
    "during a planned maintenance window",
    "after a certificate expired",
    "after a configuration push",
    "during a traffic spike",
    "after a kernel upgrade",
    "after a schema migration",
    "during a regional failover",
    "after a dependency upgrade",
    "during the nightly batch run",
    "after a feature flag flip",
    "during a vendor outage",
    "after a leap second",
    "after a disk filled up",
    "during a load test",
    "after a DNS change",
    "after a credential rotation",
    "during a database failover",
    "after a cache flush",
    "after a network change",
)
FAILURES = (
    "outage",
    "elevated error rates",
    "latency spike",
    "partial outage",
    "crash loop",
    "data inconsistency",
    "degraded performance",
    "failed requests",
    "timeouts",
    "stale reads",
    "lost writes",
    "duplicate charges",
    "delayed notifications",
    "missing events",
    "login failures",
    "failed deploys",
    "queue backlog",
    "replication lag",
    "connection exhaustion",
    "memory exhaustion",
)

_SYLLABLES = (
    "ka ri to ne sa mo lu vi den tor mar quel ash bryn cor dal esk fen gal hol ist jor kel lin mir nor ost pel "
    "quin ros sten tal ul var wen yar zel bro cha dru fal gri hex kri lom mun nim par rak sil tam vel wyn"
).split()


def _past(verb: str) -> str:
    if verb in IRREGULAR_PAST:
        return IRREGULAR_PAST[verb]
    if verb in DOUBLE_FINAL:
        return verb + verb[-1] + "ed"
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ied"
    return verb + "ed"


def _gerund(verb: str) -> str:
    if verb in DOUBLE_FINAL or verb == "split":
        return verb + verb[-1] + "ing"
    if verb.endswith("e") and not verb.endswith(("ee", "ye")):
        return verb[:-1] + "ing"
    return verb + "ing"


def _third(verb: str) -> str:
    if verb.endswith(("s", "x", "ch", "sh")):
        return verb + "es"
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def _plural(noun: str) -> str:
    if noun in IRREGULAR_PLURAL:
        return IRREGULAR_PLURAL[noun]
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


class _Zipf:
    """Draws words with Zipf-like frequencies: a few very common, a long tail of rare ones (like real text)."""

    def __init__(self, words: list[str], rng: random.Random, exponent: float = 0.75):
        self.words = list(words)
        rng.shuffle(self.words)
        weights = [1.0 / (rank + 1) ** exponent for rank in range(len(self.words))]
        self.cumulative = list(itertools.accumulate(weights))
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random) -> str:
        index = bisect.bisect_left(self.cumulative, rng.random() * self.total)
        return self.words[min(index, len(self.words) - 1)]


class Vocabulary:
    """Word pools for the text; built once from the seed so the same seed gives the same corpus."""

    def __init__(self, rng: random.Random):
        nouns = sorted(set(NOUNS))
        verbs = sorted(set(VERBS))
        self.noun = _Zipf(nouns, rng)
        self.nouns = _Zipf([_plural(n) for n in nouns], rng)
        self.past = _Zipf([_past(v) for v in verbs], rng)
        self.gerund = _Zipf([_gerund(v) for v in verbs], rng)
        self.third = _Zipf([_third(v) for v in verbs], rng)
        self.verb = _Zipf(verbs, rng)
        self.adjective = _Zipf(sorted(set(ADJECTIVES)), rng)
        self.adverb = _Zipf(sorted(set(ADVERBS)), rng)
        self.tech = _Zipf(sorted(set(TECH)), rng, 0.8)
        self.service = _Zipf(list(SERVICES), rng, 0.9)
        self.tag = _Zipf(list(TAGS), rng, 0.9)
        # Internal code names of components: the long tail that makes a real search index big.
        names: set[str] = set()
        while len(names) < 1200:
            names.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 2, 3)))))
        self.codename = _Zipf(sorted(names), rng, 0.7)
        self.distinct = len(
            set(nouns)
            | {_plural(n) for n in nouns}
            | set(verbs)
            | {f(v) for v in verbs for f in (_past, _gerund, _third)}
            | set(ADJECTIVES)
            | set(ADVERBS)
            | {t.lower() for t in TECH}
            | names
        )


# -- the text --------------------------------------------------------------------------------------------------

_TEMPLATES = (
    "The {adj} {noun} in {service} {past} {adv} after the {noun2} {past2}.",
    "At first we {past} the {noun} on {code}, but the {adj} {nouns} {past2} {adv}.",
    "{Service} {past} {adv} because a {adj} {noun} {past2} every {noun2} it {past3}.",
    "Nobody {past} that the {tech} {noun} had been {past2} for {num} {unit}.",
    "The {noun} {third} {adj} {nouns} when the {noun2} is {past}, which is what {past2} here.",
    "We {past} the {adj} {noun} and {past2} {num} {nouns} before {gerund} the {noun2}.",
    "{Gerund} the {noun} on {code} {past} the {adj} {nouns} within {num} {unit}.",
    "The {tech} {noun} of {service} was {adj}, so the {nouns} {past} {adv}.",
    "While {gerund} {code}, the on-call engineer {past} a {adj} {noun} in the {noun2} {noun3}.",
    "Because {code} {third} the {noun} without a {noun2}, a {adj} {noun3} {past} the {nouns}.",
    "The {noun} {past} {num} times in {num2} {unit}, each time {gerund} the {adj} {nouns} of {service}.",
    "{Num} {nouns} on {code} {past} {adv}, and {service} {past2} the {adj} {noun}.",
    "Our {adj} {noun} for {tech} {past} {adv}: it {past2} the {noun2} instead of the {noun3}.",
    "The {noun} was {adj}; the {noun2} {past} it {adv} and nobody {past2} the {nouns}.",
    "A {adj} {tech} {noun} {past} the {nouns} of {service}, and {code} {past2} {adv}.",
    "When the {noun} {past}, {service} {past2} {adv} to its {adj} {noun2}.",
    "The {nouns} from {code} were {past} {adv} by a {adj} {noun} in {tech}.",
    "We had {past} the {noun} in {year}, but the {adj} {noun2} {past2} it.",
    "Error rates on {service} reached {pct}% and {tech} {nouns} {past} {adv}.",
    "The dashboard for {code} {past} a {adj} {noun}, but the {noun2} did not {verb}.",
)


_ARTICLE_RE = re.compile(r"\b([Aa]) ([aeiou])")


class Writer:
    """English-like incident text from templates and the vocabulary."""

    def __init__(self, vocabulary: Vocabulary):
        self.v = vocabulary

    def sentence(self, rng: random.Random, services: list[str]) -> str:
        v = self.v
        template = rng.choice(_TEMPLATES)
        slots = {
            "adj": v.adjective(rng),
            "noun": v.noun(rng),
            "noun2": v.noun(rng),
            "noun3": v.noun(rng),
            "nouns": v.nouns(rng),
            "past": v.past(rng),
            "past2": v.past(rng),
            "past3": v.past(rng),
            "third": v.third(rng),
            "verb": v.verb(rng),
            "gerund": v.gerund(rng),
            "adv": v.adverb(rng),
            "tech": v.tech(rng),
            "code": v.codename(rng),
            "service": rng.choice(services) if rng.random() < 0.6 else v.service(rng),
            "num": rng.randint(2, 60),
            "num2": rng.randint(2, 24),
            "unit": rng.choice(("minutes", "hours", "seconds", "days")),
            "year": rng.randint(2012, 2025),
            "pct": rng.randint(2, 95),
        }
        text = template.format(
            Service=str(slots["service"]).capitalize(),
            Gerund=str(slots["gerund"]).capitalize(),
            Num=str(slots["num"]),
            **slots,
        )
        return _ARTICLE_RE.sub(r"\1n \2", text)

    def paragraph(self, rng: random.Random, services: list[str], sentences: tuple[int, int] = (3, 5)) -> str:
        return " ".join(self.sentence(rng, services) for _ in range(rng.randint(*sentences)))

    def clause(self, rng: random.Random) -> str:
        v = self.v
        return f"{v.past(rng)} the {v.adjective(rng)} {v.noun(rng)} on {v.codename(rng)}"


def _wrap(text: str, width: int = 110) -> str:
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(lines)


def _body(rng: random.Random, w: Writer, services: list[str], times: list[tuple[str, datetime]]) -> str:
    target = rng.randint(4100, 4900)
    summary = [_wrap(w.paragraph(rng, services)) for _ in range(2)]
    impact = [f"- {w.sentence(rng, services)}" for _ in range(rng.randint(3, 4))]
    started = times[0][1]
    end = times[-1][1]
    rows = []
    moments = sorted(started + (end - started) * rng.random() for _ in range(rng.randint(5, 8)))
    labelled = sorted([*times, *((None, m) for m in moments)], key=lambda item: item[1])
    for label, moment in labelled:
        event = w.sentence(rng, services).rstrip(".")
        if label:
            event += f". **{label.capitalize()}.**"
        rows.append(f"| {moment.strftime('%Y-%m-%d %H:%M')} | {event} |")
    causes = [
        f"{i}. **{w.v.adjective(rng).capitalize()} {w.v.noun(rng)}.** {w.sentence(rng, services)}"
        for i in range(1, rng.randint(3, 4) + 1)
    ]
    resolution = _wrap(w.paragraph(rng, services, (2, 4)))
    well = [f"- {w.sentence(rng, services)}" for _ in range(rng.randint(2, 3))]
    wrong = [f"- {w.sentence(rng, services)}" for _ in range(rng.randint(2, 3))]
    root = [_wrap(w.paragraph(rng, services, (2, 3)))]

    def assemble() -> str:
        return "\n".join(
            [
                "## Summary",
                "",
                "\n\n".join(summary),
                "",
                "## Impact",
                "",
                "\n".join(impact),
                "",
                "## Timeline",
                "",
                f"All times in UTC{started.strftime('%z')[:3]}:{started.strftime('%z')[3:]}.",
                "",
                "| time | event |",
                "| --- | --- |",
                "\n".join(rows),
                "",
                "## Root cause",
                "",
                "\n\n".join(root),
                "",
                "\n".join(causes),
                "",
                "## Resolution",
                "",
                resolution,
                "",
                "## Lessons learned",
                "",
                "### What went well",
                "",
                "\n".join(well),
                "",
                "### What went wrong",
                "",
                "\n".join(wrong),
                "",
                "## Action items",
                "",
                "The follow-ups are tracked in the front matter and shown in the table above.",
                "",
            ]
        )

    text = assemble()
    while len(text.encode()) < target:
        root.append(_wrap(w.paragraph(rng, services, (2, 4))))
        text = assemble()
    return text


# -- the front matter ------------------------------------------------------------------------------------------

_OFFSETS = ((0, 30), (-7, 12), (-5, 12), (1, 12), (2, 10), (5.5, 6), (9, 8), (-3, 4), (10, 3), (8, 3))


def _q(text: str) -> str:
    """A YAML scalar: JSON's double-quoted strings are valid YAML."""
    return json.dumps(text, ensure_ascii=False)


def _stamp(moment: datetime) -> str:
    if moment.utcoffset() == timedelta(0) and moment.minute % 2:
        return moment.strftime("%Y-%m-%dT%H:%M:%S") + "Z"
    return moment.isoformat()


def _slugify(text: str, limit: int = 60) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug


def _title(rng: random.Random, v: Vocabulary, services: list[str]) -> str:
    service = services[0].replace("-", " ")
    pattern = rng.randrange(4)
    if pattern == 0:
        return f"{service.capitalize()} {rng.choice(FAILURES)} {rng.choice(PHRASES_LATER)}"
    if pattern == 1:
        return f"{v.adjective(rng).capitalize()} {v.noun(rng)} in {v.codename(rng)} causes {rng.choice(FAILURES)}"
    if pattern == 2:
        return f"{rng.choice(FAILURES).capitalize()} on {service} when {v.tech(rng)} {v.nouns(rng)} {v.past(rng)}"
    return f"{service.capitalize()} {v.past(rng)} {v.adjective(rng)} {v.nouns(rng)} {rng.choice(PHRASES_LATER)}"


def _weighted(rng: random.Random, pairs) -> str:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


def _action_items(rng: random.Random, v: Vocabulary, day: date) -> list[str]:
    lines = ["action_items:"]
    for _ in range(rng.randint(1, 4)):
        due = day + timedelta(days=rng.randint(7, 150))
        if due < TODAY:
            status = _weighted(rng, (("done", 72), ("wont-do", 6), ("open", 13), ("in-progress", 9)))
        else:
            status = _weighted(rng, (("done", 20), ("open", 50), ("in-progress", 30)))
        priority = _weighted(rng, (("high", 30), ("medium", 40), ("low", 20), (None, 10)))
        title = (
            f"{rng.choice(('Add', 'Automate', 'Alert on', 'Document', 'Fix', 'Remove', 'Test', 'Limit', 'Cap'))} "
            f"{v.adjective(rng)} {v.noun(rng)} {rng.choice(('in', 'for', 'on', 'of'))} {v.codename(rng)}"
        )
        owner = rng.choice(ROLE_TEAMS) if rng.random() < 0.65 else rng.choice(HANDLES)
        lines += [f"  - title: {_q(title)}", f"    owner: {owner}", f"    status: {status}"]
        if rng.random() < 0.85:
            lines.append(f"    type: {rng.choice(('prevent', 'mitigate', 'detect', 'process'))}")
        if priority:
            lines.append(f"    priority: {priority}")
        needs_due = priority == "high" and status in ("open", "in-progress")
        if needs_due or rng.random() < 0.6:
            lines.append(f"    due: {due.isoformat()}")
        if rng.random() < 0.6:
            lines.append(f"    link: https://tracker.example.com/browse/OPS-{rng.randint(100, 99999)}")
    return lines


def _postmortem(
    rng: random.Random, index: int, day: date, v: Vocabulary, w: Writer, earlier: list[str], taken: set[str]
) -> tuple[str, str]:
    services = list(dict.fromkeys(v.service(rng) for _ in range(rng.choice((1, 1, 2, 2, 3)))))
    title = _title(rng, v, services)
    slug = _slugify(title)
    pid = f"{day.isoformat()}-{slug}"
    suffix = 2
    while pid in taken:
        pid = f"{day.isoformat()}-{slug}-{suffix}"
        suffix += 1
    taken.add(pid)

    hours, _ = _weighted(rng, [((h, w), w) for h, w in _OFFSETS])
    zone = timezone(timedelta(hours=hours))
    started = datetime(day.year, day.month, day.day, rng.randint(0, 23), rng.randint(0, 59), tzinfo=zone)
    detected = started + timedelta(minutes=rng.randint(0, 180))
    mitigated = detected + timedelta(minutes=rng.randint(5, 400))
    resolved = mitigated + timedelta(minutes=rng.randint(0, 900))
    status = "in-review" if rng.random() < 0.06 else "published"

    cause = CAUSES[index] if index < len(CAUSES) else rng.choices(CAUSES, CAUSE_WEIGHTS)[0]
    drawn = rng.choices(CAUSES, CAUSE_WEIGHTS, k=rng.choice((0, 1, 1, 2)))
    contributing = [c for c in dict.fromkeys(drawn) if c != cause]
    tags = list(dict.fromkeys(v.tag(rng) for _ in range(rng.randint(0, 5))))
    authors = [f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" for _ in range(rng.choice((1, 1, 2, 3)))]
    severity = _weighted(rng, SEVERITIES)
    summary = f"{w.sentence(rng, services)} {w.sentence(rng, services)}"

    lines = [
        "---",
        f"title: {_q(title)}",
        f"date: {day.isoformat()}",
        f"status: {status}",
        f"severity: {severity}",
        f"authors: [{', '.join(_q(a) for a in dict.fromkeys(authors))}]",
        f"services: [{', '.join(services)}]",
        f"cause: {cause}",
    ]
    if contributing:
        lines.append(f"contributing: [{', '.join(contributing)}]")
    if rng.random() < 0.85:
        lines.append(f"trigger: {rng.choice(TRIGGERS)}")
    if rng.random() < 0.9:
        lines.append(f"detection: {rng.choices(DETECTIONS, DETECTION_WEIGHTS)[0]}")
    if tags:
        lines.append(f"tags: [{', '.join(tags)}]")
    lines += ["impact:", f"  summary: {_q(summary)}"]
    if rng.random() < 0.7:
        lines.append(f"  users_affected: {int(rng.paretovariate(1.2) * 50)}")
    lines.append(f"  customer_facing: {str(severity in ('SEV1', 'SEV2') or rng.random() < 0.3).lower()}")
    lines.append(f"  data_loss: {str(rng.random() < 0.04).lower()}")
    lines += ["timeline:", f"  started: {_stamp(started)}", f"  detected: {_stamp(detected)}"]
    if rng.random() < 0.8:
        lines.append(f"  mitigated: {_stamp(mitigated)}")
    lines.append(f"  resolved: {_stamp(resolved)}")
    lines += _action_items(rng, v, day)
    if earlier and rng.random() < 0.25:
        window = earlier[-300:]
        related = list(dict.fromkeys(rng.choice(window) for _ in range(rng.randint(1, 2))))
        lines.append(f"related: [{', '.join(related)}]")
    if rng.random() < 0.15:
        lines.append(f"runbooks: [{rng.choice(RUNBOOKS)}]")
    lines.append("---")

    times = [("started", started), ("detected", detected), ("resolved", resolved)]
    body = _body(rng, w, services, times)
    return pid, "\n".join(lines) + "\n\n" + body


# -- the knowledge base ----------------------------------------------------------------------------------------

_MARKDOWN_EXTENSIONS = ["admonition", "attr_list", "tables", {"toc": {"permalink": True}}]


def _config(plain: bool) -> dict:
    config: dict = {
        "site_name": "Benchmark KB",
        "site_description": "Generated postmortems for benchmarks.",
        "docs_dir": DOCS,
        "theme": {
            "name": "material",
            "features": ["navigation.indexes", "search.highlight", "content.tooltips"],
            "palette": [
                {
                    "media": "(prefers-color-scheme: light)",
                    "scheme": "default",
                    "primary": "blue grey",
                    "toggle": {"icon": "material/weather-night", "name": "Switch to dark mode"},
                },
                {
                    "media": "(prefers-color-scheme: dark)",
                    "scheme": "slate",
                    "primary": "blue grey",
                    "toggle": {"icon": "material/weather-sunny", "name": "Switch to light mode"},
                },
            ],
        },
        # pmkb as shipped: Pagefind (run by the plugin) replaces Material's search, which the baseline keeps.
        "plugins": ["search"] if plain else [{"pmkb": {"pages": ["runbooks"], "drafts": False}}],
        "markdown_extensions": _MARKDOWN_EXTENSIONS,
    }
    if plain:
        # The natural baseline: the nav reduced to the home page, and no line logged per page left out of it.
        config["nav"] = ["index.md"]
        config["validation"] = {"nav": {"omitted_files": "ignore", "not_found": "ignore"}}
    return config


def write_configs(root: Path) -> None:
    """`mkdocs.yml` (pmkb) and `mkdocs-plain.yml` (the baseline)."""
    import yaml

    for name, plain in ((CONFIG, False), (PLAIN_CONFIG, True)):
        (root / name).write_text(yaml.safe_dump(_config(plain), sort_keys=False), encoding="utf-8")


HOME = """# Benchmark knowledge base

A generated knowledge base of {n} postmortems (seed {seed}) for measuring build, lint and search times.
Every postmortem is fictional: the text is assembled from incident-themed word lists.
"""

RUNBOOK = """# {title}

{text}

## Steps

{steps}
"""


def generate(root: Path, n: int, seed: int = 0) -> None:
    """Write a knowledge base of `n` postmortems into `root` (its `postmortems/` folder is replaced)."""
    root = Path(root)
    docs = root / DOCS
    if docs.exists():
        shutil.rmtree(docs)
    docs.mkdir(parents=True)
    rng = random.Random(seed)
    vocabulary = Vocabulary(random.Random(f"vocabulary-{seed}"))
    writer = Writer(vocabulary)
    write_configs(root)
    (docs / "index.md").write_text(HOME.format(n=n, seed=seed), encoding="utf-8")
    (docs / "runbooks").mkdir()
    for path, title in zip(RUNBOOKS, ("Incident response", "Database failover"), strict=True):
        steps = "\n".join(f"{i}. {writer.sentence(rng, ['postgres'])}" for i in range(1, 9))
        text = _wrap(writer.paragraph(rng, ["postgres"], (4, 6)))
        (docs / path).write_text(RUNBOOK.format(title=title, text=text, steps=steps), encoding="utf-8")

    span = (LAST_DAY - FIRST_DAY).days
    days = sorted(FIRST_DAY + timedelta(days=int(rng.random() * (span + 1))) for _ in range(n))
    taken: set[str] = set()
    earlier: list[str] = []
    folders: set[Path] = set()
    for index, day in enumerate(days):
        pid, text = _postmortem(rng, index, day, vocabulary, writer, earlier, taken)
        folder = docs / str(day.year)
        if folder not in folders:
            folder.mkdir(exist_ok=True)
            folders.add(folder)
        (folder / f"{pid}.md").write_text(text, encoding="utf-8")
        earlier.append(pid)


STAMP = ".corpus.json"


def ensure(root: Path, n: int, seed: int = 0) -> bool:
    """Generate into `root` unless it already holds this generator's corpus for (n, seed); True if generated."""
    import hashlib

    root = Path(root)
    stamp = {"n": n, "seed": seed, "generator": hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]}
    try:
        if json.loads((root / STAMP).read_text()) == stamp and (root / DOCS).is_dir():
            write_configs(root)  # cheap, and follows the repository (or a snapshot of it)
            return False
    except (OSError, ValueError):
        pass
    root.mkdir(parents=True, exist_ok=True)
    (root / STAMP).unlink(missing_ok=True)
    generate(root, n, seed)
    (root / STAMP).write_text(json.dumps(stamp))
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a knowledge base of N valid postmortems.")
    parser.add_argument("out", type=Path, help="folder to write (mkdocs.yml, mkdocs-plain.yml, postmortems/)")
    parser.add_argument("-n", type=int, default=1000, help="number of postmortems (default: 1000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("-n must be at least 1")
    generate(args.out, args.n, args.seed)
    total = sum(p.stat().st_size for p in (args.out / DOCS).rglob("*.md"))
    print(f"wrote {args.n} postmortems ({total / 1e6:.1f} MB of Markdown) to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
