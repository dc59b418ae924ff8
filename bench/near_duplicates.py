"""Near-duplicate calibration: labelled page pairs through the real extraction and measures.

    PYTHONPATH=$PWD .venv/bin/python bench/near_duplicates.py            # the calibration table
    PYTHONPATH=$PWD .venv/bin/python bench/near_duplicates.py --pairs 10 # a quick run
    PYTHONPATH=$PWD .venv/bin/python bench/near_duplicates.py --site 3000  # DUP002 on sites

Pages are those of a dental practice site written from one template: header, nav, aside and
footer (stripped as boilerplate), a breadcrumb and a booking block inside ``<main>`` (template
text the extraction keeps), and main copy of four paragraphs written by a seeded phrase
grammar, so pages on different services share the practice's stock phrases as real copy does.
Each labelled pair is a page and a variant of it with a share of its copy rewritten (whole
paragraphs, the intro, or sentences spread through the text), or a location doorway (the same
service page with the city swapped, with or without one paragraph rewritten), or a page on
another service (shares only the template). Both pages of a pair go through
``readiness.crawl.parsing.parse_html`` (the crawl's own function) for their MinHash signature,
and through ``MainContentReader.main_text`` for the exact shingle sets the estimate is
compared with. Everything is seeded: the same command prints the same numbers.

``--site N`` needs no server either (its stores go to a temporary directory): it extracts
N pages of a practice site (location x service pages, some planted doorway groups, the rest
distinct) and N pages of the crawl-speed benchmark's site (bench/crawl_speed.py), and runs
DUP002 with its default options over stores built from the extracted facts. It needs only
what every version of readiness has, so the "before" figures come from running this file
against an older checkout:
``PYTHONPATH=/path/to/old/checkout python bench/near_duplicates.py --site 3000``.
See docs/near-duplicates.md.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import lxml.html
import numpy as np
from parsel.selector import create_root_node

from readiness.crawl.extract import PageExtractor
from readiness.crawl.parsing import parse_html
from readiness.page.content import MainContentReader
from readiness.page.fingerprint import DEFAULT_NUM_PERM, DEFAULT_SHINGLE_WORDS, jaccard
from readiness.rules.duplicates import NearDuplicateContent

SITE = "http://practice.test"
MAIN_TEXT_READER = MainContentReader()  # main text only: its signature settings do not matter here

# -- the practice's copy: a phrase grammar --------------------------------------------------

SERVICES = {
    "dental implants": ["a titanium post", "the implant", "a missing tooth", "the jawbone",
                        "a permanent crown", "bone grafting", "the healing cap"],
    "teeth whitening": ["custom trays", "the whitening gel", "coffee stains", "a brighter shade",
                        "sensitive teeth", "the shade guide", "take-home kits"],
    "invisalign": ["clear aligners", "the aligner trays", "crooked teeth", "a digital scan",
                   "the treatment plan", "refinement trays", "a retainer"],
    "root canal treatment": ["the infected nerve", "the root canals", "a temporary filling",
                             "local anaesthetic", "a dental abscess", "the pulp chamber",
                             "a protective crown"],
    "emergency dentistry": ["severe toothache", "a broken tooth", "same-day appointments",
                            "a knocked-out tooth", "swelling", "pain relief",
                            "the emergency line"],
    "children's dentistry": ["baby teeth", "fissure sealants", "fluoride varnish",
                             "a first visit", "nervous children", "brushing habits",
                             "the tooth fairy"],
    "dental crowns": ["a cracked tooth", "the porcelain crown", "an impression",
                      "the dental lab", "a weakened tooth", "the final fit", "a temporary crown"],
    "veneers": ["thin porcelain shells", "chipped teeth", "a smile makeover", "composite bonding",
                "the front teeth", "a natural look", "the trial smile"],
    "gum disease treatment": ["bleeding gums", "deep cleaning", "plaque below the gumline",
                              "gum pockets", "bad breath", "periodontal charting",
                              "loose teeth"],
    "dental hygiene": ["a scale and polish", "tartar build-up", "interdental brushes",
                       "the hygienist", "stained teeth", "flossing technique",
                       "fresh breath"],
}
CITIES = ["Leeds", "York", "Harrogate", "Wakefield", "Bradford", "Halifax", "Huddersfield",
          "Ripon", "Selby", "Otley", "Ilkley", "Skipton", "Pontefract", "Keighley", "Batley",
          "Dewsbury"]
STREETS = ["High Street", "Station Road", "Park Lane", "Church Street", "Market Place",
           "Victoria Road", "Mill Lane", "Albion Street"]

OPENERS = ["", "", "", "At our {city} practice, ", "For most patients, ", "In our experience, ",
           "Before anything else, ", "Once you are comfortable, ", "During your first visit, ",
           "Whatever your age, ", "If you are nervous, ", "After a careful check, ",
           "In many cases, ", "Every week, ", "From the first call, "]
SUBJECTS = ["our dentists", "the team", "your dentist", "our hygienist", "Dr Patel",
            "Dr Morgan", "the clinician", "our {city} team", "we", "the nurse",
            "our treatment coordinator", "every dentist here"]
VERBS = ["explain", "check", "plan", "look after", "talk you through", "assess",
         "take care of", "recommend", "discuss", "treat", "review", "help with", "measure",
         "photograph", "monitor", "prepare"]
LINKS = ["before suggesting", "so you can compare it with", "and then move on to",
         "while keeping an eye on", "as well as", "together with", "alongside",
         "without rushing", "instead of", "and only then"]
CLOSERS = ["", "", "", " at a time that suits you", " in plain words", " with no obligation",
           " for the whole family", " step by step", " on the same day", " at no extra cost",
           " over two short visits", " in our {city} surgery", " with clear prices",
           " using the latest equipment"]
GENERAL = ["the options", "your medical history", "the costs", "a written estimate",
           "your questions", "the next steps", "any worries", "aftercare", "the results",
           "a follow-up visit", "monthly payment plans", "your insurance",
           "what to expect", "how long it takes"]

TEMPLATE_BOOKING = ("Book your {service} consultation at our {city} practice online or call "
                    "0113 496 0{code:03d}. New patients are welcome, parking is free and "
                    "the surgery has step-free access.")
TEMPLATE_BREADCRUMB = "Home / Treatments / {Service} in {city}"


@dataclass(frozen=True)
class PageSpec:
    """One practice page: which service, where, and its copy (paragraphs of sentences)."""

    service: str
    city: str
    street: str
    paragraphs: tuple[tuple[str, ...], ...]

    def words(self) -> int:
        return sum(len(s.split()) for p in self.paragraphs for s in p)


def _sentence(rng: random.Random, service: str) -> str:
    """One sentence of practice copy; placeholders ({city}) are filled when rendered."""
    topic = SERVICES[service]
    parts = [rng.choice(OPENERS), rng.choice(SUBJECTS), " ", rng.choice(VERBS), " ",
             rng.choice(topic), " ", rng.choice(LINKS), " ",
             rng.choice(topic + GENERAL), rng.choice(CLOSERS), "."]
    text = "".join(parts)
    return text[0].upper() + text[1:]


def _paragraph(rng: random.Random, service: str, words: int = 95) -> tuple[str, ...]:
    sentences: list[str] = []
    while sum(len(s.split()) for s in sentences) < words:
        sentences.append(_sentence(rng, service))
    return tuple(sentences)


def new_page(rng: random.Random, service: str, city: str) -> PageSpec:
    """A page of four paragraphs (the intro first) of about 95 words each."""
    return PageSpec(service, city, rng.choice(STREETS),
                    tuple(_paragraph(rng, service) for _ in range(4)))


def rewrite(spec: PageSpec, rng: random.Random, share: float, layout: str) -> PageSpec:
    """The page with ``share`` of its main content's words rewritten (new sentences on its topic).

    The share is of every word the extraction keeps (the copy plus the template's headings,
    breadcrumb and booking block), so "25%" is a quarter of what the measure compares.

    ``layout``: ``block`` rewrites whole sentences in a run from a random paragraph on,
    ``intro`` from the first sentence on, ``spread`` single sentences spaced evenly.
    """
    sentences = [(p, s) for p, paragraph in enumerate(spec.paragraphs)
                 for s in range(len(paragraph))]
    total = len(main_words(render(spec), MAIN_TEXT_READER))
    if layout == "spread":
        count = len(sentences)
        order = [sentences[i] for i in _spaced(count, max(1, round(share * count)))]
    else:
        start = 0 if layout == "intro" else rng.randrange(len(spec.paragraphs))
        first = next(i for i, (p, _s) in enumerate(sentences) if p == start)
        order = sentences[first:] + sentences[:first]
    chosen: set[tuple[int, int]] = set()
    changed = 0
    for position in order:
        if changed >= share * total - 3:  # within a few words of the share asked for
            break
        chosen.add(position)
        changed += len(spec.paragraphs[position[0]][position[1]].split())
    paragraphs = tuple(
        tuple(_sentence(rng, spec.service) if (p, s) in chosen else sentence
              for s, sentence in enumerate(paragraph))
        for p, paragraph in enumerate(spec.paragraphs))
    return replace(spec, paragraphs=paragraphs)


def _spaced(count: int, picks: int) -> list[int]:
    return sorted({int(i * count / picks + count / (2 * picks)) for i in range(picks)})


def render(spec: PageSpec, page_id: int = 0) -> str:
    """The page's HTML in the practice's template."""
    fill = {"city": spec.city, "service": spec.service, "Service": spec.service.capitalize(),
            "code": sum(map(ord, spec.city)) % 1000}
    nav = "".join(f'<li><a href="/{s.replace(" ", "-")}">{s.capitalize()}</a></li>'
                  for s in SERVICES)
    locations = "".join(f'<li><a href="/locations/{c.lower()}">{c}</a></li>' for c in CITIES)
    headings = ["Why patients choose us", "What happens at your appointment",
                "Costs and payment", "Aftercare"]
    body = "\n".join(
        (f"<h2>{headings[p]}</h2>\n" if p else "") + "<p>" + " ".join(paragraph) + "</p>"
        for p, paragraph in enumerate(spec.paragraphs)).format(**fill)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{fill['Service']} in {spec.city} | Smile Dental</title>
<meta name="description" content="{fill['Service']} at Smile Dental {spec.city}.">
</head>
<body>
<header><a href="/">Smile Dental</a>
<nav><ul>{nav}</ul></nav></header>
<main>
<div class="breadcrumb">{TEMPLATE_BREADCRUMB.format(**fill)}</div>
<h1>{fill['Service']} in {spec.city}</h1>
{body}
<div class="booking"><h2>Book an appointment</h2><p>{TEMPLATE_BOOKING.format(**fill)}</p></div>
</main>
<aside><h2>Opening hours</h2><p>Monday to Friday 8am to 6pm, Saturday 9am to 1pm.</p>
<h2>Our practices</h2><ul>{locations}</ul></aside>
<footer><address>Smile Dental {spec.city}, 12 {spec.street}, {spec.city}</address>
<p>Smile Dental is a trading name of Smile Dental Ltd. Page {page_id}.</p></footer>
</body>
</html>
"""


# -- labelled pairs ------------------------------------------------------------------------

@dataclass(frozen=True)
class PairClass:
    name: str
    must_flag: bool | None  # None: no requirement (between the two)

    def make(self, rng: random.Random) -> tuple[PageSpec, PageSpec]:
        service = rng.choice(sorted(SERVICES))
        city = rng.choice(CITIES)
        page = new_page(rng, service, city)
        kind, _, argument = self.name.partition(" ")
        if kind == "changed":
            share, layout = argument.split("% ")
            return page, rewrite(page, rng, int(share) / 100, layout)
        if kind == "doorway":
            other = rng.choice([c for c in CITIES if c != city])
            moved = replace(page, city=other, street=rng.choice(STREETS))
            if argument == "+ one paragraph":
                moved = rewrite(moved, rng, 0.25, "block")
            return page, moved
        if kind == "other-service":
            others = [s for s in sorted(SERVICES) if s != service]
            return page, new_page(rng, rng.choice(others), city)
        raise ValueError(self.name)


PAIR_CLASSES = [
    PairClass("changed 0% block", True),
    PairClass("changed 10% block", True),
    PairClass("changed 10% spread", True),
    PairClass("changed 25% block", True),
    PairClass("changed 25% intro", True),
    PairClass("changed 25% spread", True),
    PairClass("doorway city only", True),
    PairClass("doorway + one paragraph", True),
    PairClass("changed 35% block", None),
    PairClass("changed 50% block", False),
    PairClass("changed 50% spread", False),
    PairClass("changed 60% block", False),
    PairClass("changed 100% block", False),
    PairClass("other-service same template", False),
]


def labelled_pairs(pairs_per_class: int, seed: int = 1):
    """(class, html_a, html_b) for every class, ``pairs_per_class`` seeded pairs each."""
    for index, pair_class in enumerate(PAIR_CLASSES):
        for n in range(pairs_per_class):
            rng = random.Random(seed * 1_000_003 + index * 10_007 + n)
            a, b = pair_class.make(rng)
            yield pair_class, render(a, 2 * n), render(b, 2 * n + 1)


# -- the measures -------------------------------------------------------------------------

def main_words(html: str, reader: MainContentReader) -> list[str]:
    """The lower-cased words the extraction fingerprints (the crawl's own main content)."""
    root = create_root_node(html, lxml.html.HTMLParser, base_url=SITE + "/")
    return " ".join(reader.main_text(root).split()).lower().split(" ")


def shingles(words: list[str], k: int) -> set[tuple[str, ...]]:
    return set(zip(*(words[i:] for i in range(k))))


def exact_jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def containment(a: set, b: set) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def signature(html: str, extractor: PageExtractor, page: int = 0) -> bytes:
    return parse_html(extractor, f"{SITE}/page-{page}", html.encode("utf-8"), "utf-8",
                      keep_html=False).facts.minhash


def measure_pairs(pairs_per_class: int, seed: int, ks=(1, 2, 3, 4, 5),
                  estimates=((3, DEFAULT_NUM_PERM), (4, DEFAULT_NUM_PERM),
                             (5, DEFAULT_NUM_PERM), (5, 128))):
    """Per class, each measure's values over its pairs; and each pair's changed share.

    ``Jk``/``Ck``: exact Jaccard/containment of k-word shingles; ``MHk/p``: the MinHash
    estimate of Jk from the crawl's own signature with p values.
    """
    extractors = {(k, p): PageExtractor(num_perm=p, shingle_words=k) for k, p in estimates}
    results: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    changed_share: dict[str, list[float]] = defaultdict(list)
    for pair_class, html_a, html_b in labelled_pairs(pairs_per_class, seed):
        row = results[pair_class.name]
        words_a = main_words(html_a, MAIN_TEXT_READER)
        words_b = main_words(html_b, MAIN_TEXT_READER)
        changed_share[pair_class.name].append(_changed_share(words_a, words_b))
        for k in ks:
            sa, sb = shingles(words_a, k), shingles(words_b, k)
            row[f"J{k}"].append(exact_jaccard(sa, sb))
            row[f"C{k}"].append(containment(sa, sb))
        for (k, num_perm), extractor in extractors.items():
            row[f"MH{k}/{num_perm}"].append(
                jaccard(signature(html_a, extractor), signature(html_b, extractor)))
    return results, changed_share


def _changed_share(a: list[str], b: list[str]) -> float:
    """Share of page a's main-content words not in the longest common runs with b."""
    from difflib import SequenceMatcher

    same = sum(block.size for block in SequenceMatcher(None, a, b, autojunk=False)
               .get_matching_blocks())
    return 1 - same / len(a)


def _summary(values: list[float]) -> str:
    return f"{statistics.mean(values):.2f} [{min(values):.2f}-{max(values):.2f}]"


def print_table(results, changed_share, columns) -> None:
    header = f"{'pair class':30} {'flag?':5} {'changed':>7} " + " ".join(
        f"{c:>16}" for c in columns)
    print(header)
    print("-" * len(header))
    for pair_class in PAIR_CLASSES:
        row = results[pair_class.name]
        flag = {True: "yes", False: "no", None: "-"}[pair_class.must_flag]
        changed = statistics.mean(changed_share[pair_class.name])
        print(f"{pair_class.name:30} {flag:5} {changed:7.0%} "
              + " ".join(f"{_summary(row[c]):>16}" for c in columns))


def print_threshold_sweep(results, column: str, thresholds) -> None:
    positives = [v for c in PAIR_CLASSES if c.must_flag for v in results[c.name][column]]
    negatives = [v for c in PAIR_CLASSES if c.must_flag is False
                 for v in results[c.name][column]]
    print(f"\n{column}: lowest must-flag {min(positives):.3f}, "
          f"highest must-not-flag {max(negatives):.3f}")
    print(f"{'threshold':>9} {'caught':>8} {'false flags':>12}")
    for threshold in thresholds:
        caught = sum(v >= threshold for v in positives) / len(positives)
        false = sum(v >= threshold for v in negatives) / len(negatives)
        print(f"{threshold:9.2f} {caught:8.1%} {false:12.1%}")


def print_estimate_error(results, k: int, num_perm: int) -> None:
    errors = [mh - exact for c in PAIR_CLASSES
              for mh, exact in zip(results[c.name][f"MH{k}/{num_perm}"], results[c.name][f"J{k}"])]
    rmse = float(np.sqrt(np.mean(np.square(errors))))
    print(f"MH{k}/{num_perm} minus J{k}: mean {statistics.mean(errors):+.3f}, RMSE {rmse:.3f}, "
          f"worst {max(errors, key=abs):+.3f} over {len(errors)} pairs")


def calibrate(pairs_per_class: int, seed: int) -> None:
    started = time.perf_counter()
    results, changed_share = measure_pairs(pairs_per_class, seed)
    k = DEFAULT_SHINGLE_WORDS
    print(f"{pairs_per_class} pairs per class, seed {seed}. Each cell: mean [min-max] over the "
          "class's pairs.\nJk = exact Jaccard of k-word shingles, Ck = containment "
          "(shared / smaller set), MHk/p = MinHash estimate of Jk from p values;\n'changed' = "
          "share of page a's main-content words outside the runs it shares with page b.\n")
    print_table(results, changed_share, ["J1", "J2", "J3", "J4", "J5"])
    print()
    print_table(results, changed_share,
                ["C3", "C5", "MH3/256", "MH4/256", f"MH{k}/{DEFAULT_NUM_PERM}", f"MH{k}/128"])
    thresholds = [0.3, 0.35, 0.38, 0.4, 0.42, 0.45, 0.5, 0.55, 0.6, 0.9]
    for column in ("J3", "MH3/256", f"J{k}", f"MH{k}/{DEFAULT_NUM_PERM}", f"MH{k}/128"):
        print_threshold_sweep(results, column, thresholds)
    print()
    for estimate_k, num_perm in ((3, 256), (k, DEFAULT_NUM_PERM), (k, 128)):
        print_estimate_error(results, estimate_k, num_perm)
    # imported here: --site also runs against older checkouts, which lack these
    from readiness.rules.duplicates import lsh_bands_rows, lsh_candidate_probability

    threshold = NearDuplicateContent.Options().threshold
    bands, rows = lsh_bands_rows(DEFAULT_NUM_PERM, threshold)
    print(f"\nLSH for threshold {threshold}: {bands} bands x {rows} rows; a pair is a candidate "
          "with probability")
    for similarity in (0.05, 0.1, 0.2, 0.3, threshold - 0.05, threshold, threshold + 0.1):
        print(f"  at {similarity:.2f}: {lsh_candidate_probability(similarity, bands, rows):.4f}")
    print(f"\n({time.perf_counter() - started:.0f} s)")


# -- sites ---------------------------------------------------------------------------------

def practice_site(n: int, seed: int) -> tuple[list[tuple[str, str]], list[set[str]]]:
    """(url, html) of ``n`` practice pages, and the planted doorway groups (sets of URLs).

    One page per (service, city), most written on their own; every sixth service page is
    the seed of a doorway group: copied to 3-6 other cities with the city swapped and one
    paragraph rewritten (what location x service doorway generators do).
    """
    rng = random.Random(seed)
    pages: list[tuple[str, str]] = []
    groups: list[set[str]] = []
    index = 0
    while len(pages) < n:
        service = sorted(SERVICES)[index % len(SERVICES)]
        city = f"{CITIES[index % len(CITIES)]} {index // len(CITIES)}"
        spec = new_page(rng, service, city)
        url = f"{SITE}/{service.replace(' ', '-')}/{city.replace(' ', '-').lower()}"
        pages.append((url, render(spec, len(pages))))
        if index % 6 == 0:
            group = {url}
            for copy in range(rng.randint(3, 6)):
                moved = rewrite(replace(spec, city=f"{spec.city} copy {copy}"), rng, 0.25,
                                "block")
                copy_url = f"{url}-copy-{copy}"
                pages.append((copy_url, render(moved, len(pages))))
                group.add(copy_url)
            groups.append(group)
        index += 1
    return pages[:n], [g for g in groups if all(u in dict(pages[:n]) for u in g)]


def speed_bench_site(n: int, seed: int) -> list[tuple[str, str]]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import crawl_speed

    base = "http://127.0.0.1:8000"
    return [(base + crawl_speed.page_path(i),
             crawl_speed.render_page(i, n, base, "http://127.0.0.2:8001", seed))
            for i in range(n)]


def dup002_clusters(pages: list[tuple[str, str]], workdir: Path) -> list[set[str]]:
    """DUP002's clusters (default options) over a store built from the real extraction."""
    from readiness.testing import StoreBuilder

    extractor = PageExtractor()
    workdir.mkdir(parents=True)
    origin = "/".join(pages[0][0].split("/")[:3])
    store = StoreBuilder(workdir, start_url=origin + "/")
    for url, html in pages:
        facts = parse_html(extractor, url, html.encode("utf-8"), "utf-8", False).facts
        store.page(url, title=facts.title, word_count=facts.word_count,
                   content_hash=facts.content_hash, minhash=facts.minhash)
    started = time.perf_counter()
    findings = store.run(NearDuplicateContent)
    print(f"    DUP002 over {len(pages)} pages: {time.perf_counter() - started:.1f} s")
    return [{m["url"] for m in f.evidence["members"]} for f in findings]


def compare_sites(n: int, seed: int) -> None:
    """DUP002 with this checkout's defaults on both generated sites of ``n`` pages."""
    print(f"this checkout: {DEFAULT_NUM_PERM}-value signatures of {DEFAULT_SHINGLE_WORDS}-word "
          f"shingles, threshold {NearDuplicateContent.Options().threshold}")
    practice, planted = practice_site(n, seed)
    planted_urls = set().union(*planted)
    with tempfile.TemporaryDirectory() as tmp:
        for label, pages, groups in (("practice site", practice, planted),
                                     ("crawl-speed site", speed_bench_site(n, seed), [])):
            print(f"  {label}, {len(pages)} pages, {len(groups)} planted doorway groups "
                  f"({len(planted_urls) if groups else 0} pages)")
            clusters = dup002_clusters(pages, Path(tmp) / label.replace(" ", "-"))
            flagged = set().union(*clusters) if clusters else set()
            found = sum(1 for group in groups if group in clusters)
            print(f"    {len(clusters)} DUP002 clusters, {len(flagged)} pages in them; planted "
                  f"groups found exactly {found}/{len(groups)}; planted pages flagged "
                  f"{len(flagged & planted_urls) if groups else 0}; other pages flagged "
                  f"{len(flagged - planted_urls)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=40, help="pairs per class (default 40)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--site", type=int, metavar="N",
                        help="instead: DUP002 clusters on generated sites of N pages")
    args = parser.parse_args()
    if args.site:
        compare_sites(args.site, args.seed)
    else:
        calibrate(args.pairs, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
