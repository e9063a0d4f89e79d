"""The running example: job postings, each labelled with one of eight roles.

The postings come from a seeded generator (same seed, same bytes) and ship as
JSON Lines under ``ftlab/data/jobs/``.  Regenerate them with::

    python -m ftlab.jobs            # rewrite the shipped files
    python -m ftlab.jobs --check    # exit 1 if regenerating would change them

A generator has habits (its templates, its company names, its phrasing) and a
model trained on its output can learn those habits instead of the task.  Two
guards against that:

* the **test** split is written with templates, company voices, company names
  and two industries that train and validation never use, so a model scores
  well on it only if it learned what the jobs *are*, not how the generator
  phrases them;
* ``handwritten.jsonl`` holds 40 postings written by a person, not by this
  module, five per role.

Besides ``train``, ``validation``, ``test`` and ``handwritten``, ``dirty.jsonl``
is a copy of some training examples in chat format with planted defects, and
``dirty_manifest.jsonl`` says which line holds which defect: one object per
defect, ``{"line", "rules", "defect"}`` (line null for a defect of the whole
file), exactly what ``python -m ftlab validate dirty.jsonl --max-tokens 192
--against test.jsonl`` reports.  It is the validator's demo and test fixture.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from importlib import resources
from pathlib import Path

from ftlab.runs import write_atomically
from ftlab.similarity import jaccard, shingles

ROLES = (
    "Data Scientist",
    "Data Engineer",
    "ML Engineer",
    "Backend Engineer",
    "Frontend Engineer",
    "DevOps Engineer",
    "Security Engineer",
    "Product Manager",
)
SENIORITIES = ("Junior", "Mid-level", "Senior", "Lead")
SPLITS = ("train", "validation", "test", "handwritten")

# Kept short on purpose: every token of it is processed in every training step.
SYSTEM_PROMPT = "Classify the job posting. Answer with the role only."

SEED = 5
PER_ROLE = {"train": 120, "validation": 10, "test": 20}  # test last: it must differ from all the others
MAX_CHARS = 640  # keeps every chat example under 192 tokens, the length page 03 trains with
GENERATOR_SIMILARITY_LIMIT = 0.5  # reject a posting this close to any earlier one
DATA_PACKAGE = ("data", "jobs")
# The generator's phrase tables (duties, skills, cues, companies, voices, ...)
# are data, shipped as ftlab/data/phrases.json; the comments below say what
# each table is for.
PHRASES = json.loads(resources.files("ftlab").joinpath("data", "phrases.json").read_text(encoding="utf-8"))
GENERATED_FILES = ("train.jsonl", "validation.jsonl", "test.jsonl", "dirty.jsonl", "dirty_manifest.jsonl")


# --------------------------------------------------------------------------- what each role does
# Duties and skills are phrases in the role's own words.  Tools, partner teams
# and the {slots} inside duties overlap between roles on purpose (Python, SQL
# and Kubernetes appear under several roles; "search" is worked on by
# backend, ML, frontend and product people), so no single word decides the
# label.  Every fourth phrase of each list is kept for the test split only
# (see ``partition``), so the test measures unseen wording too, not just
# unseen layouts.

ROLE_BANKS = PHRASES["role_banks"]

# Duties every role has at some level, and a few that any posting may list:
# they make postings realistic and make "lead", "roadmap" or "hire" useless
# as a shortcut to one label.
LEVEL_DUTIES = PHRASES["level_duties"]
SHARED_DUTIES = PHRASES["shared_duties"]

# --------------------------------------------------------------------------- seniority
# Every posting carries at least one of these cues, so a second adapter can
# learn seniority from the same text.

SENIORITY_CUES = PHRASES["seniority_cues"]


def partition(items: list[str], held_out: bool) -> list[str]:
    """This split's part of a phrase list.

    Train and validation get three quarters of it: every item but each fourth.
    The test split gets the fourth items, which nothing trains on, plus as
    many of the shared ones, so about half of a test posting's wording is new.
    Measured once on an H200 with page 03's recipe (LoRA, 40 and 120 steps)
    and page 06's scoring, on these files: the role adapter scored 76% / 92%
    on test and 90% / 92.5% on the hand-written postings; the seniority
    adapter 66% / 66% against 82.5% / 87.5%.  The test split errs on the safe
    side.  With *all* test wording new, it was harsher still (role 75% / 82.5%,
    seniority 37% / 52%, on an earlier draft of the banks).
    """
    if len(items) < 4:
        return items
    keep = (0, 3) if held_out else (0, 1, 2)
    return [item for i, item in enumerate(items) if i % 4 in keep]


# --------------------------------------------------------------------------- companies and context

INDUSTRIES = PHRASES["industries"]
TEST_ONLY_INDUSTRIES = PHRASES["test_only_industries"]
COMPANIES = PHRASES["companies"]
TEST_ONLY_COMPANIES = PHRASES["test_only_companies"]

# How a company introduces itself.  The test split uses voices nobody trained on.
VOICES = PHRASES["voices"]
TEST_ONLY_VOICES = PHRASES["test_only_voices"]

CITIES = PHRASES["cities"]
LOCATIONS = CITIES + ["Remote (EU)", "Remote, US time zones", "Hybrid, {city}", "{city} or remote"]
PERKS = PHRASES["perks"]
FILLERS = PHRASES["fillers"]
DO_HEADERS = PHRASES["do_headers"]
NEED_HEADERS = PHRASES["need_headers"]
BULLETS = PHRASES["bullets"]


# --------------------------------------------------------------------------- one posting


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def article(phrase: str) -> str:
    """'a' or 'an' for a phrase, by how it sounds."""
    first = phrase.split()[0]
    vowel_sound = first[0] in "AEIOaeio" or first in {"ML", "MLOps", "SRE", "R", "SQL", "X"}
    return f"{'an' if vowel_sound else 'a'} {phrase}"


def and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


class Writer:
    """Draws the parts of one posting; nothing is used twice in the same posting."""

    def __init__(self, rng: random.Random, role: str, seniority: str, held_out: bool):
        self.rng, self.role, self.seniority, self.held_out = rng, role, seniority, held_out
        self.bank = ROLE_BANKS[role]
        self.cues = SENIORITY_CUES[seniority]
        industries = dict(INDUSTRIES, **TEST_ONLY_INDUSTRIES) if held_out else INDUSTRIES
        self.industry = rng.choice(sorted(industries))
        self.product = rng.choice(industries[self.industry])
        self.company = rng.choice(TEST_ONLY_COMPANIES if held_out else COMPANIES)
        self.voices = TEST_ONLY_VOICES if held_out else VOICES
        self.used: set[str] = set()
        self.role_duties = 0

    def pick(self, options: list[str], held_out_part: bool = False) -> str:
        """A random option not used yet in this posting (from this split's part of the list)."""
        options = partition(options, self.held_out) if held_out_part else options
        fresh = [o for o in options if o not in self.used] or options
        choice = self.rng.choice(fresh)
        self.used.add(choice)
        return self.fill(choice)

    def fill(self, text: str) -> str:
        """Replace {slots}: the posting's context, a role tool, or a shared filler."""
        def slot(match: re.Match) -> str:
            name = match.group(1)
            context = {"company": self.company, "industry": self.industry, "product": self.product}
            if name in context:
                return context[name]
            if name == "a_industry":
                return article(self.industry)
            if name == "tool":
                return self.pick(self.bank["tools"])
            if name == "city":
                return self.rng.choice(CITIES)
            return self.pick(FILLERS[name])

        return re.sub(r"\{(\w+)\}", slot, text)

    def duty(self) -> str:
        """A duty: the first always the role's own; later ones sometimes level-wide or shared."""
        if self.role_duties:
            chance = self.rng.random()
            if chance < 0.15:
                return self.pick(LEVEL_DUTIES[self.seniority], held_out_part=True)
            if chance < 0.22:
                return self.pick(SHARED_DUTIES)
        self.role_duties += 1
        return self.pick(self.bank["duties"], held_out_part=True)

    def duties(self, k: int) -> list[str]:
        return [self.duty() for _ in range(k)]

    def skill(self) -> str:
        return self.pick(self.bank["skills"], held_out_part=True)

    def tools(self, k: int) -> list[str]:
        return [self.pick(self.bank["tools"]) for _ in range(k)]

    def partner(self) -> str:
        return self.pick(self.bank["partners"])

    def situation(self) -> str:
        return self.pick(self.bank["situations"], held_out_part=True)

    def contrast(self) -> str:
        return self.pick(self.bank["contrast"])

    def title(self) -> str:
        """A job title for the role, usually with a seniority prefix."""
        prefix = self.rng.choice(self.cues["prefixes"]) if self.rng.random() < 0.7 else ""
        return " ".join(part for part in (prefix, self.pick(self.bank["titles"], held_out_part=True)) if part)

    def experience(self) -> str:
        return self.pick(self.cues["sentences"], held_out_part=True)

    def short_experience(self) -> str:
        return self.pick(self.cues["short"], held_out_part=True)

    def intro(self) -> str:
        return self.pick(self.voices)

    def perk(self) -> str:
        return self.pick(PERKS)

    def location(self) -> str:
        return self.pick(LOCATIONS)

    def bullets(self, items: list[str]) -> str:
        marker = self.rng.choice(BULLETS)
        return "\n".join(marker + cap(item) for item in items)

    def maybe(self, text: str, probability: float = 0.5) -> str:
        return text if self.rng.random() < probability else ""


def sentences(*parts: str) -> str:
    """Join the non-empty parts with spaces."""
    return " ".join(part for part in parts if part)


# --------------------------------------------------------------------------- templates (shapes)
# Each template is one way people write postings.  TEST_TEMPLATES are never
# used for train or validation.


def one_liner(w: Writer) -> str:
    form = w.rng.randrange(3)
    if form == 0:
        return f"{w.title()} needed at {w.company}: {w.duty()}. {cap(w.short_experience())}."
    if form == 1:
        return f"{w.company} is hiring {article(w.title())} to {w.duty()} ({w.short_experience()}, {w.location()})."
    return f"Looking for someone to {w.duty()} and {w.duty()}. {and_list(w.tools(2))}. {cap(w.short_experience())}."


def classic_bullets(w: Writer) -> str:
    do = f"{w.rng.choice(DO_HEADERS)}:\n{w.bullets(w.duties(w.rng.randint(2, 4)))}"
    need = f"{w.rng.choice(NEED_HEADERS)}:\n{w.bullets([w.experience(), w.skill(), w.skill()][: w.rng.randint(2, 3)])}"
    return "\n\n".join(part for part in (w.intro(), do, need, w.maybe(w.perk())) if part)


def prose_paragraph(w: Writer) -> str:
    return sentences(
        w.intro(),
        f"As our {w.title()}, you will {and_list(w.duties(w.rng.randint(2, 3)))}.",
        f"We work with {and_list(w.tools(3))}.",
        w.experience(),
        w.maybe(w.perk()),
    )


def recruiter(w: Writer) -> str:
    client = w.rng.choice([f"a fast-growing {w.industry} scale-up", f"an established {w.industry} business", f"a well-funded {w.industry} start-up"])
    return sentences(
        f"My client, {client}, is looking for {article(w.title())} in {w.rng.choice(CITIES)}.",
        f"The successful candidate will {w.duty()} and {w.duty()}.",
        f"Key skills: {', '.join(w.tools(3))}.",
        w.experience(),
        "Please apply with an up-to-date CV; all applications are handled in confidence.",
    )


def startup_casual(w: Writer) -> str:
    text = sentences(
        f"hey! we're {w.company}, {w.fill('{size}')} people building {w.product}.",
        f"we need someone to {w.duty()}, and you'd also {w.duty()}.",
        f"stack: {', '.join(w.tools(3))}.",
        w.experience(),
        w.maybe(w.perk()),
    )
    return text.lower()


def key_value(w: Writer) -> str:
    return "\n".join([
        f"Position: {w.title()}",
        f"Company: {w.company} ({w.industry})",
        f"Location: {w.location()}",
        f"Stack: {' / '.join(w.tools(3))}",
        f"Responsibilities: {'; '.join(w.duties(w.rng.randint(2, 3)))}",
        f"Experience: {w.short_experience()}",
    ])


def requirements_first(w: Writer) -> str:
    must = w.bullets([w.skill(), w.skill(), w.experience()])
    nice = w.bullets([f"{w.tools(1)[0]} experience"])
    return f"Must have:\n{must}\n\nNice to have:\n{nice}\n\nThe role: you'll {w.duty()} and {w.duty()}. {w.intro()}"


def question_hook(w: Writer) -> str:
    return sentences(
        f"Want to {w.duty()}?",
        w.intro(),
        f"We're hiring {article(w.title())} who will also {w.duty()}.",
        w.experience(),
        w.maybe(w.perk()),
    )


def problem_statement(w: Writer) -> str:
    return sentences(
        f"The problem: {w.situation()}",
        f"The job: {w.duty()}, {w.duty()} and, when it matters most, {w.duty()}.",
        w.experience(),
        f"Tools: {', '.join(w.tools(2))}.",
    )


def team_intro(w: Writer) -> str:
    return sentences(
        f"You'll join a team of {w.fill('{team_size}')} at {w.company}, working closely with {w.partner()} and {w.partner()}.",
        f"Day to day you'll {w.duty()} and {w.duty()}.",
        w.maybe(w.contrast()),
        f"We use {and_list(w.tools(3))}.",
        w.experience(),
    )


def short_paragraph(w: Writer) -> str:
    return sentences(f"{w.title()}, {w.location()}.", f"{cap(w.duty())}.", w.experience())


def benefits_heavy(w: Writer) -> str:
    perks = w.bullets([w.perk(), w.perk(), w.perk()])
    return f"{w.intro()} We need {article(w.title())} to {w.duty()}.\n\nWhy {w.company}?\n{perks}\n\n{w.experience()}"


def long_form(w: Writer) -> str:
    need = w.bullets([w.experience(), w.skill(), f"{w.tools(1)[0]} experience"])
    return "\n\n".join([
        sentences(w.intro(), w.situation()),
        sentences(f"We're hiring {article(w.title())}.", f"You'll {w.duty()} and {w.duty()}.", w.maybe(w.contrast())),
        f"{w.rng.choice(NEED_HEADERS)}:\n{need}",
        sentences(f"You'll work with {w.partner()} and {w.partner()}.", w.perk()),
    ])


def faq(w: Writer) -> str:
    return (
        f"What will I do?\n{cap(w.duty())}, and {w.duty()}.\n\n"
        f"Who will I work with?\n{cap(w.partner())} and {w.partner()}.\n\n"
        f"What do I need?\n{w.experience()} Also: {w.skill()}."
    )


def first_90_days(w: Writer) -> str:
    return sentences(
        w.intro(),
        f"In your first month you'll learn our stack ({', '.join(w.tools(2))}) and {w.duty()}.",
        f"By month three you'll {w.duty()} and {w.duty()}.",
        w.experience(),
    )


def story(w: Writer) -> str:
    return sentences(
        w.situation(),
        f"That's why we're hiring {article(w.title())}.",
        w.intro(),
        f"You'll {w.duty()} and {w.duty()}.",
        w.maybe(w.contrast()),
        w.experience(),
    )


def internal_memo(w: Writer) -> str:
    ask = w.experience()
    return sentences(
        f"Hi all, we've opened a req for {article(w.title())} on the {w.fill('{team}')} team.",
        f"Main things they'll do: {w.duty()}, {w.duty()}.",
        f"Ideally: {ask[0].lower() + ask[1:]}",
        f"Referrals welcome, ping {w.fill('{name}')}.",
    )


TRAIN_TEMPLATES = {
    f.__name__: f
    for f in (one_liner, classic_bullets, prose_paragraph, recruiter, startup_casual, key_value,
              requirements_first, question_hook, problem_statement, team_intro, short_paragraph, benefits_heavy, long_form)
}
TEST_TEMPLATES = {f.__name__: f for f in (faq, first_90_days, story, internal_memo)}


# --------------------------------------------------------------------------- splits


def write_posting(rng: random.Random, role: str, seniority: str, held_out: bool) -> dict:
    templates = TEST_TEMPLATES if held_out else TRAIN_TEMPLATES
    name = rng.choice(sorted(templates))
    writer = Writer(rng, role, seniority, held_out)
    text = templates[name](writer)
    return {"text": text, "role": role, "seniority": seniority, "industry": writer.industry, "template": name}


def is_new(text: str, seen: list[frozenset]) -> bool:
    """Not too close to any posting already made (in any split) and not too long."""
    if len(text) > MAX_CHARS:
        return False
    mine = shingles(text)
    return all(jaccard(mine, other) < GENERATOR_SIMILARITY_LIMIT for other in seen)


def make_split(rng: random.Random, split: str, seen: list[frozenset]) -> list[dict]:
    """PER_ROLE[split] postings per role, seniorities in turn, shuffled."""
    records = []
    for role in ROLES:
        levels = [SENIORITIES[i % len(SENIORITIES)] for i in range(PER_ROLE[split])]
        rng.shuffle(levels)
        for seniority in levels:
            for _attempt in range(200):
                record = write_posting(rng, role, seniority, held_out=split == "test")
                if is_new(record["text"], seen):
                    break
            else:
                raise RuntimeError(f"cannot write a new {seniority} {role} posting for {split}; widen the banks")
            seen.append(shingles(record["text"]))
            records.append(record)
    rng.shuffle(records)
    return [{"id": f"{split}-{i:04d}", **record} for i, record in enumerate(records, 1)]


def generate(seed: int = SEED) -> dict[str, list[dict]]:
    """The generated splits (train, validation, test); same seed, same records."""
    seen = [shingles(r["text"]) for r in load_split("handwritten")]
    # one random stream per split (string seeds are hashed with SHA-512, so
    # they are stable across runs), so changing one split leaves the others alone
    return {split: make_split(random.Random(f"{seed}-{split}"), split, seen) for split in PER_ROLE}


# --------------------------------------------------------------------------- chat format


def to_chat(record: dict, system: str | None = SYSTEM_PROMPT) -> dict:
    """A training example: the posting as the user turn, the role as the answer."""
    messages = [{"role": "system", "content": system}] if system else []
    messages += [{"role": "user", "content": record["text"]}, {"role": "assistant", "content": record["role"]}]
    return {"messages": messages}


def to_prompt_completion(record: dict, system: str | None = SYSTEM_PROMPT) -> dict:
    """The same example split into prompt and completion, so trainers compute the loss on the answer only."""
    messages = to_chat(record, system)["messages"]
    return {"prompt": messages[:-1], "completion": messages[-1:]}


# --------------------------------------------------------------------------- the dirty copy


def chat_line(record: dict, system: str | None = SYSTEM_PROMPT, answer: str | None = None) -> str:
    example = to_chat(record, system)
    if answer is not None:
        example["messages"][-1]["content"] = answer
    return json.dumps(example, ensure_ascii=False)


def edited(text: str) -> str:
    """A near copy, as a careless edit makes one: two words changed, the ending too."""
    words = text.split(" ")
    words[len(words) // 3] = "really"
    words[2 * len(words) // 3] = "truly"
    return " ".join(words).rstrip(".") + "!"


LEGAL_BOILERPLATE = (
    " We are an equal opportunity employer. All qualified applicants will receive consideration for employment "
    "without regard to race, colour, religion, sex, sexual orientation, gender identity, national origin, disability, "
    "age or veteran status. We will make reasonable adjustments during the hiring process for candidates with "
    "disabilities; tell us what you need when you apply. By applying you agree that we may store your personal data "
    "for the purpose of this recruitment for up to twelve months, after which it is deleted. You may ask for a copy "
    "of your data, ask us to correct it, or ask us to delete it at any time by writing to our data protection officer. "
    "Offers are subject to satisfactory references and, where the law allows, a background check. We do not accept "
    "unsolicited CVs from recruitment agencies, and we will not pay fees for candidates introduced without a signed "
    "agreement. Applications are reviewed on a rolling basis, and the advert may close early if we receive a large "
    "number of applications, so please apply soon if you are interested. "
)
ABOUT_US_BOILERPLATE = (
    " About us: founded a decade ago by three friends who were tired of clumsy software, we have grown into a team "
    "of several hundred people across four offices. We value kindness, curiosity and ownership, and we write these "
    "values into how we hire, how we give feedback and how we decide promotions. Our benefits include private health "
    "insurance for you and your family, a pension with matched contributions, a yearly learning budget, a home-office "
    "allowance, cycle-to-work and season-ticket loans, enhanced parental leave, paid volunteering days, sabbaticals "
    "after five years, an employee assistance programme and regular team events. We run an annual company retreat, "
    "quarterly hack weeks and a mentoring scheme open to everyone. Our offices are step-free and have quiet rooms, "
    "and we are happy to talk about flexible and part-time working patterns for every role we advertise. "
)

DIRTY_PER_ROLE = 15
DIRTY_SMALL_ROLE = ("Product Manager", 6)  # planted imbalance


def plant_defects(rng: random.Random, fresh: list[dict], tests: list[dict], clean: list[dict]) -> list[dict]:
    """Planted lines: {"text", "rules", "defect", optional "after" (a clean entry it must follow)}."""
    fresh = iter(fresh)

    def line(text, rules, defect, after=None):
        return {"text": text, "rules": rules, "defect": defect, "after": after}

    def good(record):  # a valid chat example as a dict, to be broken
        return to_chat(record)

    r = next(fresh)
    truncated = chat_line(r)[: len(chat_line(r)) // 2]
    no_content = good(next(fresh))
    no_content["messages"][2] = {"role": "assistant", "text": no_content["messages"][2]["content"]}
    bot = good(next(fresh))
    bot["messages"][2]["role"] = "bot"
    split_user = good(next(fresh))
    text = split_user["messages"][1]["content"]
    split_user["messages"][1:2] = [{"role": "user", "content": text[: len(text) // 2]}, {"role": "user", "content": text[len(text) // 2 :]}]
    unanswered = good(next(fresh))
    unanswered["messages"].pop()
    list_answer = good(next(fresh))
    list_answer["messages"][2]["content"] = [list_answer["messages"][2]["content"]]
    wrapped = good(next(fresh))
    duplicated, near_copied, contradicted = rng.sample(clean, 3)
    near = to_chat(near_copied["record"])
    near["messages"][1]["content"] = edited(near["messages"][1]["content"])
    conflict_answer = ROLES[(ROLES.index(contradicted["record"]["role"]) + 1) % len(ROLES)]
    contradicted["rules"].append("conflict")
    contradicted["defect"] = "conflict: the original of a posting planted again with another role"
    long_a, long_b = next(fresh), next(fresh)
    test_a, test_b = tests[0], tests[1]
    test_b_edited = dict(test_b, text=edited(test_b["text"]))
    pc = next(fresh)
    return [
        line(truncated, ["json"], "broken JSON: line cut off half-way"),
        line(str(good(next(fresh))), ["json"], "broken JSON: a Python dict written with str(), single quotes"),
        line("", ["blank-line"], "an empty line"),
        line(json.dumps([r["role"], r["text"]]), ["not-object"], "a JSON list instead of an object"),
        line(json.dumps({"conversation": wrapped["messages"]}), ["missing-key"], "missing key: 'conversation' instead of 'messages'"),
        line(json.dumps(no_content), ["missing-key"], "missing key: the answer under 'text' instead of 'content'"),
        line(json.dumps(bot), ["unknown-role"], "wrong role: 'bot' instead of 'assistant'"),
        line(json.dumps(list_answer), ["type"], "wrong type: the answer is a list"),
        line(json.dumps(split_user), ["turn-order"], "turn order: the posting split into two user turns"),
        line(json.dumps(unanswered), ["no-answer"], "no answer: the assistant turn is missing"),
        line(chat_line(next(fresh), answer=""), ["empty"], "empty answer"),
        line(chat_line(next(fresh), answer=" \n "), ["empty"], "whitespace-only answer"),
        line(duplicated["text"], ["duplicate"], "exact duplicate of an earlier line", after=duplicated),
        line(json.dumps(near, ensure_ascii=False), ["near-duplicate"], "near duplicate: the same posting with two words and the ending changed", after=near_copied),
        line(chat_line(contradicted["record"], answer=conflict_answer), ["conflict"], "conflict: the same posting with another role", after=contradicted),
        line(chat_line(next(fresh), answer="Data Scientst"), ["rare-label"], "wrong label: a typo"),
        line(chat_line(next(fresh), answer="Software Engineer"), ["rare-label"], "wrong label: not one of the eight roles"),
        line(chat_line(dict(long_a, text=long_a["text"] + LEGAL_BOILERPLATE)), ["too-long"], "over-long: the posting plus legal boilerplate"),
        line(chat_line(dict(long_b, text=long_b["text"] + ABOUT_US_BOILERPLATE)), ["too-long"], "over-long: the posting plus a long 'about us'"),
        line(chat_line(test_a), ["test-overlap"], "train/test overlap: a test posting copied in"),
        line(chat_line(test_b_edited), ["test-overlap"], "train/test overlap: a test posting with two words and the ending changed"),
        line(chat_line(next(fresh), system=None), ["system-prompt"], "inconsistent format: no system prompt"),
        line(json.dumps(to_prompt_completion(pc)), ["format"], "inconsistent format: a prompt/completion line in a messages file"),
    ]


def build_dirty(train: list[dict], test: list[dict], seed: int = SEED) -> tuple[str, list[dict]]:
    """The dirty file's text and its manifest (which line holds which defect)."""
    rng = random.Random(seed + 1)
    by_role = {role: [r for r in train if r["role"] == role] for role in ROLES}
    small_role, small_count = DIRTY_SMALL_ROLE
    chosen = [r for role in ROLES for r in by_role[role][: small_count if role == small_role else DIRTY_PER_ROLE]]
    fresh = [r for role in ROLES if role != small_role for r in by_role[role][DIRTY_PER_ROLE:DIRTY_PER_ROLE + 3]]
    rng.shuffle(fresh)
    clean = [{"text": chat_line(r), "rules": [], "defect": None, "record": r} for r in chosen]
    rng.shuffle(clean)
    entries = list(clean)
    for planted in plant_defects(rng, fresh, test, clean):
        after = entries.index(planted.pop("after")) + 1 if planted.get("after") else 0
        entries.insert(rng.randint(after, len(entries)), planted)
    lines = [entry["text"] for entry in entries]
    manifest = [
        {"line": number, "rules": entry["rules"], "defect": entry["defect"]}
        for number, entry in enumerate(entries, 1)
        if entry["rules"]
    ]
    manifest.append({"line": None, "rules": ["label-balance"], "defect": f"imbalance: only {small_count} {small_role} examples"})
    return "".join(line + "\n" for line in lines), manifest


# --------------------------------------------------------------------------- files


def data_dir():
    """The shipped data folder (inside the installed package)."""
    return resources.files("ftlab").joinpath(*DATA_PACKAGE)


def load_split(name: str) -> list[dict]:
    """Records of one split: train, validation, test or handwritten."""
    if name not in SPLITS:
        raise ValueError(f"unknown split {name!r}; expected one of {', '.join(SPLITS)}")
    text = data_dir().joinpath(f"{name}.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def jsonl(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def render_files(seed: int = SEED) -> dict[str, bytes]:
    """Every generated file's bytes, by file name."""
    splits = generate(seed)
    dirty, manifest = build_dirty(splits["train"], splits["test"], seed)
    files = {f"{name}.jsonl": jsonl(records) for name, records in splits.items()}
    files["dirty.jsonl"] = dirty
    files["dirty_manifest.jsonl"] = jsonl(manifest)
    return {name: text.encode("utf-8") for name, text in files.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ftlab.jobs", description="Regenerate the job-postings data set.")
    parser.add_argument("--check", action="store_true", help="only compare with the shipped files; exit 1 if they differ")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    folder = Path(str(data_dir()))
    files = render_files(args.seed)
    if args.check:
        stale = [name for name, data in files.items() if not (folder / name).is_file() or (folder / name).read_bytes() != data]
        print("up to date" if not stale else "differs from a fresh generation: " + ", ".join(stale))
        return 1 if stale else 0
    for name, data in files.items():
        write_atomically(folder / name, lambda partial: partial.write_bytes(data))  # never half a file
        print(f"wrote {folder / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
