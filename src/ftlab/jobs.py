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
GENERATED_FILES = ("train.jsonl", "validation.jsonl", "test.jsonl", "dirty.jsonl", "dirty_manifest.jsonl")


# --------------------------------------------------------------------------- what each role does
# Duties and skills are phrases in the role's own words.  Tools, partner teams
# and the {slots} inside duties overlap between roles on purpose (Python, SQL
# and Kubernetes appear under several roles; "search" is worked on by
# backend, ML, frontend and product people), so no single word decides the
# label.  Every fourth phrase of each list is kept for the test split only
# (see ``partition``), so the test measures unseen wording too, not just
# unseen layouts.

ROLE_BANKS = {
    "Data Scientist": {
        "titles": ["Data Scientist", "Decision Scientist", "Product Analyst", "Statistician", "Quantitative Analyst",
                   "Insights Analyst", "Data Scientist, Experimentation", "Research Scientist, Analytics"],
        "duties": [
            "design A/B tests and tell the team honestly what the results mean",
            "build forecasting models for {metric}",
            "dig into usage data to find out why customers leave",
            "turn vague questions from leadership into analyses with a clear recommendation",
            "build and validate propensity and segmentation models",
            "define the metrics our product teams are judged by",
            "run causal analyses when a proper experiment is not possible",
            "present findings to people who have never seen a p-value",
            "prototype models in notebooks and hand the promising ones over to engineering",
            "estimate how pricing changes affect {metric}",
            "write SQL against the warehouse to answer product questions",
            "put honest error bars on our {metric} forecasts",
            "size new markets before we commit engineers to them",
            "find out which customers respond to which offers",
            "analyse what drives {metric} in {ds_area}",
            "build the statistical models behind {ds_area}",
            "decide with product which experiments in {ds_area} are worth running",
            "build cohort and survival analyses of customer behaviour",
            "spot anomalies in key business metrics before finance does",
            "run quick analyses that settle arguments in planning meetings",
        ],
        "skills": [
            "a solid grounding in statistics and experimental design",
            "experience with regression, classification and time-series forecasting",
            "the ability to explain a confidence interval to a sales director",
            "fluency in {tool} and SQL",
            "a degree in statistics, economics, physics or similar, or equivalent experience",
            "curiosity about why the numbers move",
            "experience with Bayesian methods",
            "a feel for when a simple average beats a clever model",
        ],
        "tools": ["pandas", "scikit-learn", "R", "Jupyter", "statsmodels", "Tableau", "BigQuery", "Python", "SQL", "Spark", "Looker"],
        "partners": ["product managers", "the marketing team", "finance", "ML engineers", "data engineers"],
        "situations": [
            "We have years of customer data and still make most decisions on gut feeling.",
            "Our experiments take months to read because nobody trusts the numbers.",
            "Leadership keeps asking why {metric} moved last quarter, and we don't have a good answer.",
            "Every team reports a different number for the same thing.",
        ],
        "contrast": ["ML engineers take care of deployment, so your focus is the analysis and the modelling."],
    },
    "Data Engineer": {
        "titles": ["Data Engineer", "Analytics Engineer", "Data Platform Engineer", "ETL Developer", "Big Data Engineer",
                   "Software Engineer, Data Infrastructure", "Data Pipeline Engineer", "BI Engineer"],
        "duties": [
            "build and maintain the batch and streaming pipelines that feed our warehouse",
            "model raw event data into clean, documented tables",
            "own ingestion from {sources} third-party sources, including the flaky ones",
            "make sure the morning dashboards are right before anyone opens them",
            "add data quality checks and alerts for late or broken loads",
            "move legacy cron jobs to a proper orchestrator",
            "tune slow queries and keep warehouse costs under control",
            "design schemas and partitioning for tables with billions of rows",
            "build the feature tables our data scientists train on",
            "stream changes from our Postgres databases into the lake",
            "write and review dbt models",
            "handle GDPR deletion requests across the data platform",
            "run our Spark jobs on Kubernetes and make them cheaper",
            "document where each number on a dashboard comes from",
            "bring {data_source} into the warehouse and keep it fresh",
            "build a reliable pipeline for {data_source}",
            "replace hand-maintained spreadsheets with tested data models",
            "set up a data catalogue so people can find the tables they need",
            "backfill years of history when a definition changes",
            "make event tracking consistent across web and mobile",
        ],
        "skills": [
            "strong SQL and data modelling (star schemas, slowly changing dimensions)",
            "experience running Airflow or a similar orchestrator in production",
            "an understanding of how columnar storage and partitioning affect cost",
            "experience with Kafka or another streaming system",
            "solid {tool} skills and good testing habits",
            "a habit of writing pipelines that can be rerun safely",
            "experience moving data between very different systems",
            "care for data privacy and the security of the warehouse",
        ],
        "tools": ["Airflow", "dbt", "Kafka", "Spark", "Snowflake", "BigQuery", "Fivetran", "Dagster", "Python", "SQL", "Kubernetes", "Terraform"],
        "partners": ["data scientists", "analysts", "backend engineers who own the source systems", "the finance team", "ML engineers"],
        "situations": [
            "Our analysts spend half their week fixing broken exports.",
            "The nightly load fails about once a week and someone has to rerun it by hand.",
            "We have customer data in forty places and none of it agrees.",
            "Our warehouse bill tripled last year and nobody knows which queries are to blame.",
        ],
        "contrast": ["You won't build the models yourself; you'll make sure the people who do have clean data to build them on."],
    },
    "ML Engineer": {
        "titles": ["Machine Learning Engineer", "ML Engineer", "MLOps Engineer", "Applied ML Engineer", "AI Engineer",
                   "ML Platform Engineer", "Software Engineer, Machine Learning", "LLM Engineer"],
        "duties": [
            "take models from notebook to production and keep them healthy there",
            "build the training and evaluation pipelines for our ranking models",
            "serve models behind low-latency APIs",
            "monitor deployed models for drift and retrain them when they degrade",
            "fine-tune open-weight language models on our own data",
            "cut inference costs with quantisation and batching",
            "build a feature store that several teams share",
            "design offline evaluations that predict how a model will do online",
            "run GPU training jobs on Kubernetes",
            "turn data scientists' prototypes into reliable services",
            "build the embedding and retrieval pipeline behind our search",
            "own the model registry and the deployment workflow",
            "add guardrails and evaluation to our LLM features",
            "own {ml_system} from training data to serving",
            "ship new versions of {ml_system} safely behind A/B tests",
            "make {ml_system} fast enough for real-time use",
            "build labelling tools and training-data pipelines",
            "distil large models into small ones that run on cheap hardware",
            "reproduce research results and judge whether they hold up on our data",
            "make training runs reproducible",
        ],
        "skills": [
            "solid software engineering in Python, with tests",
            "hands-on experience with PyTorch or TensorFlow",
            "experience putting models into production, not only training them",
            "an understanding of evaluation pitfalls such as data leakage",
            "familiarity with GPUs and distributed training",
            "experience with {tool} in production",
            "the judgement to ship a simple model first",
            "experience with vector search or recommender systems",
        ],
        "tools": ["PyTorch", "TensorFlow", "MLflow", "Ray", "Triton", "ONNX", "Hugging Face Transformers", "Kubeflow", "vLLM", "Python", "Kubernetes", "Docker"],
        "partners": ["data scientists", "platform engineers", "the product team", "backend engineers", "data engineers"],
        "situations": [
            "Our recommendation model has been stuck in a notebook for six months.",
            "We retrain models by hand, and nobody is sure which version is live.",
            "Inference costs doubled when usage did.",
            "Our model looked great offline and did nothing for customers once it shipped.",
        ],
        "contrast": ["Our data scientists prototype; you make their models fast, reliable and observable."],
    },
    "Backend Engineer": {
        "titles": ["Backend Engineer", "Backend Developer", "Software Engineer (Backend)", "API Engineer",
                   "Server-side Developer", "Java Developer", "Go Developer", "Python Developer"],
        "duties": [
            "design and build the REST and gRPC APIs our web and mobile apps use",
            "own services that handle {rps} requests per second",
            "model data in Postgres and write migrations that don't lock tables",
            "integrate payment providers and other third-party APIs",
            "split the monolith into services where that actually helps",
            "write tests, review pull requests and fix what you break",
            "design event-driven workflows with queues",
            "bring down latency on the checkout path",
            "add caching without serving stale data",
            "build authentication and permissions into our APIs",
            "be on call for the services you own",
            "profile slow endpoints and get rid of N+1 queries",
            "write the business logic behind {product}",
            "own {be_system} end to end",
            "rebuild {be_system} so it survives peak traffic",
            "design the data model for {be_system}",
            "build webhooks and a public API for partners",
            "write background jobs that process millions of records overnight",
            "keep the API backwards compatible while it evolves",
            "make sure a retry never charges a customer twice",
        ],
        "skills": [
            "professional experience with {lang}",
            "a good understanding of relational databases and transactions",
            "experience designing APIs that other teams depend on",
            "comfort with concurrency and distributed-systems trade-offs",
            "experience with {tool} in production",
            "an eye for security: input validation, secrets, least privilege",
            "experience running services you wrote",
            "an understanding of what happens between a request and a database row",
        ],
        "tools": ["Go", "Java", "Kotlin", "Node.js", "Django", "FastAPI", "Spring Boot", "PostgreSQL", "Redis", "RabbitMQ", "gRPC", "Python", "SQL", "Kubernetes", "Kafka"],
        "partners": ["frontend engineers", "product managers", "our SRE team", "mobile developers", "the data team"],
        "situations": [
            "Our API was built for a thousand users and now has {users}.",
            "Checkout times out at peak traffic.",
            "Every new integration takes a month because the old code is tangled.",
            "Our partners want an API, and today they get CSV files by email.",
        ],
        "contrast": ["There is no UI work in this role; you'll live behind the API."],
    },
    "Frontend Engineer": {
        "titles": ["Frontend Engineer", "Front-End Developer", "UI Engineer", "React Developer", "Web Developer",
                   "Software Engineer, Web", "JavaScript Developer", "UI Developer"],
        "duties": [
            "build accessible, responsive interfaces in {fe_framework}",
            "turn Figma designs into reusable components",
            "own our design system and its documentation",
            "improve Core Web Vitals on our busiest pages",
            "write end-to-end tests with Playwright or Cypress",
            "work with designers on the small interaction details",
            "manage client-side state without turning it into a mess",
            "build data-heavy dashboards with charts and tables",
            "make the app work well on slow phones and flaky networks",
            "consume the GraphQL and REST APIs the backend team provides",
            "hunt down cross-browser bugs",
            "keep the build fast and the bundle small",
            "build the onboarding flow for {product}",
            "rebuild {fe_surface} in {fe_framework}",
            "make {fe_surface} usable with a keyboard and a screen reader",
            "own {fe_surface} from design review to release",
            "add offline support and sensible loading states",
            "build forms that validate input without annoying people",
            "migrate old jQuery pages to a modern framework",
            "render large tables and live-updating charts smoothly",
        ],
        "skills": [
            "deep knowledge of JavaScript, HTML and CSS",
            "experience with TypeScript and a modern framework",
            "the habit of testing with a keyboard and a screen reader",
            "experience profiling performance in the browser",
            "a good eye for layout and typography",
            "experience with {tool}",
            "an understanding of how browsers load and render a page",
            "awareness of web security basics such as XSS and content security policies",
        ],
        "tools": ["React", "TypeScript", "Vue", "Angular", "Next.js", "Svelte", "Tailwind", "Storybook", "Vite", "GraphQL", "Jest", "Node.js", "Figma"],
        "partners": ["designers", "backend engineers", "product managers", "the support team"],
        "situations": [
            "Our app looks fine on a laptop and falls apart on a phone.",
            "Customers tell us the dashboard is confusing.",
            "Every screen in the product was built a slightly different way.",
            "Our pages take six seconds to load on a mid-range phone.",
        ],
        "contrast": ["The APIs already exist; your job is everything the user sees and touches."],
    },
    "DevOps Engineer": {
        "titles": ["DevOps Engineer", "Site Reliability Engineer", "Platform Engineer", "Infrastructure Engineer",
                   "Cloud Engineer", "Build and Release Engineer", "SRE", "Systems Engineer"],
        "duties": [
            "run and upgrade our Kubernetes clusters",
            "manage cloud infrastructure as code",
            "build CI/CD pipelines that take a commit to production in minutes",
            "set up monitoring, alerting and SLOs for every service",
            "lead incident response and write blameless postmortems",
            "cut the cloud bill without hurting reliability",
            "automate routine operations with {ops_lang} scripts",
            "roll out security patches quickly and keep base images lean",
            "plan capacity for peak season",
            "give developers self-service environments",
            "keep backups tested and disaster recovery rehearsed",
            "look after the logging and tracing stack",
            "run the databases nobody else wants to touch",
            "own {infra_system} and keep it boring",
            "migrate {infra_system} with no downtime",
            "write runbooks so that anyone on call can fix {infra_system}",
            "speed up builds that currently take most of an hour",
            "move our servers from a data centre to the cloud",
            "manage secrets, certificates and DNS",
            "build the internal platform that product teams deploy to",
        ],
        "skills": [
            "hands-on experience operating Kubernetes in production",
            "strong Linux and networking fundamentals",
            "infrastructure-as-code experience with Terraform, Pulumi or CloudFormation",
            "scripting in Bash and {ops_lang}",
            "a calm head during incidents",
            "experience with {tool} in production",
            "a habit of automating anything you do twice",
            "experience with at least one big cloud provider",
        ],
        "tools": ["Terraform", "Helm", "Argo CD", "Prometheus", "Grafana", "GitHub Actions", "Jenkins", "Ansible", "Datadog", "Kubernetes", "Docker", "AWS", "Python", "Go"],
        "partners": ["backend engineers", "the security team", "every product team", "data engineers"],
        "situations": [
            "Deploys take an afternoon and nobody trusts staging.",
            "We were paged forty times last month, mostly for things that fixed themselves.",
            "Our cloud bill grew faster than our revenue.",
            "Half our servers were set up by hand by someone who has since left.",
        ],
        "contrast": ["You won't write product features; you'll make shipping them boring."],
    },
    "Security Engineer": {
        "titles": ["Security Engineer", "Application Security Engineer", "Cloud Security Engineer", "Detection Engineer",
                   "Penetration Tester", "Product Security Engineer", "Security Analyst", "Infrastructure Security Engineer"],
        "duties": [
            "run threat-modelling sessions with product teams",
            "review code and architecture for vulnerabilities",
            "triage reports from our bug bounty programme",
            "write detections and respond to alerts",
            "tighten cloud accounts and IAM policies",
            "test our web apps and APIs the way an attacker would",
            "take charge when something goes wrong",
            "add dependency and container scanning to CI",
            "collect evidence for SOC 2 and ISO 27001 audits",
            "teach developers secure coding in a way they don't hate",
            "manage secrets and key rotation across services",
            "write {ops_lang} tooling to investigate suspicious activity",
            "lock down the workloads running on our Kubernetes clusters",
            "query access logs in SQL to spot unusual behaviour",
            "assess the risks in {sec_area} and fix the worst of them",
            "monitor {sec_area} for signs of compromise",
            "own the threat model of {sec_area}",
            "run phishing simulations and awareness training",
            "answer customers' security questionnaires",
            "keep endpoint protection and device management up to date",
        ],
        "skills": [
            "a solid understanding of the OWASP Top 10 and how to fix each of them",
            "experience securing AWS, GCP or Azure",
            "incident response experience",
            "the ability to read code in several languages",
            "certifications like OSCP (a plus, not a requirement)",
            "experience with {tool}",
            "a healthy suspicion of anything that looks too convenient",
            "a working knowledge of networking and operating systems",
        ],
        "tools": ["Burp Suite", "Semgrep", "Splunk", "Wiz", "Vault", "Snyk", "osquery", "Okta", "Python", "Kubernetes", "AWS", "Terraform", "SQL"],
        "partners": ["DevOps engineers", "developers across the company", "legal and compliance", "IT"],
        "situations": [
            "We went from 20 to 200 engineers, and our safeguards didn't keep up.",
            "A customer's security questionnaire took us three weeks to answer.",
            "Last spring we found a leaked API key in a public repository.",
            "Our biggest customers now ask for a pen test report before they sign.",
        ],
        "contrast": ["You won't own the infrastructure, but you'll make sure the people who do can't get it badly wrong."],
    },
    "Product Manager": {
        "titles": ["Product Manager", "Product Owner", "Technical Product Manager", "Product Manager, Mobile",
                   "Digital Product Manager", "Platform Product Manager", "Growth Product Manager", "Product Manager, Payments"],
        "duties": [
            "own the roadmap for {product}",
            "talk to customers every week and bring what you learn back to the team",
            "write clear problem statements and acceptance criteria",
            "decide what we will not build, and explain why",
            "work with engineering and design from discovery to launch",
            "define success metrics and check them after every launch",
            "prioritise the backlog together with the engineering lead",
            "run beta programmes with early customers",
            "get sales, support and marketing ready before each release",
            "pull the numbers in SQL instead of waiting for an analyst",
            "turn vague feature requests into small experiments",
            "present the quarterly plan to leadership",
            "decide which customer problems are worth solving next",
            "own {pm_area} and its metrics",
            "find out why customers abandon {pm_area}",
            "write the one-page strategy for {pm_area}",
            "run usability tests with real users",
            "agree security and privacy requirements with enterprise customers",
            "negotiate scope with engineering when deadlines slip",
            "work out pricing and packaging with sales",
        ],
        "skills": [
            "experience shipping software products end to end",
            "strong written communication",
            "comfort with data: you read a dashboard critically and can write basic SQL",
            "a technical background (helpful, not required)",
            "experience with {tool}",
            "the judgement to say no to good ideas",
            "experience working closely with engineers",
            "a track record of products customers actually use",
        ],
        "tools": ["Jira", "Amplitude", "Mixpanel", "Figma", "Productboard", "Notion", "Looker", "Linear", "SQL"],
        "partners": ["engineers", "designers", "data scientists", "the sales and support teams"],
        "situations": [
            "Our engineers build whatever the loudest customer asked for last week.",
            "We shipped twelve features last year and can't say which ones mattered.",
            "Sales keeps promising things the product doesn't do.",
            "Customers sign up, look around and never come back.",
        ],
        "contrast": ["You won't write production code, but you'll need to understand it well enough to weigh trade-offs."],
    },
}

# Duties every role has at some level, and a few that any posting may list:
# they make postings realistic and make "lead", "roadmap" or "hire" useless
# as a shortcut to one label.
LEVEL_DUTIES = {
    "Junior": ["fix bugs and learn the codebase from the people who wrote it", "pair with senior colleagues on real work from your first week",
               "take on small, well-defined tasks and grow from there", "write down what you learn so the next person has it easier"],
    "Mid-level": ["own work from design to release", "review your teammates' work",
                  "take part in planning and estimate your own work", "improve the processes you find painful"],
    "Senior": ["mentor the less experienced people on the team", "make the calls on design trade-offs",
               "raise the bar in reviews", "lead projects that span several teams"],
    "Lead": ["hire and grow the team", "set the roadmap for your area together with engineering and product",
             "own the long-term direction of your area", "run planning and keep the team focused", "represent the team to leadership"],
}
SHARED_DUTIES = ["write documentation others can follow", "share what you learn in our weekly demos",
                 "help interview candidates", "work in a cross-functional squad with product, design and engineering",
                 "follow our security and privacy practices"]

# --------------------------------------------------------------------------- seniority
# Every posting carries at least one of these cues, so a second adapter can
# learn seniority from the same text.

SENIORITY_CUES = {
    "Junior": {
        "prefixes": ["Junior", "Graduate", "Associate", "Entry-level"],
        "sentences": [
            "This is an entry-level role: a degree or a bootcamp plus a couple of personal projects is enough.",
            "0-2 years of experience; you'll have a mentor from day one.",
            "It's a good first or second job.",
            "You'll learn from senior colleagues and take on real responsibility step by step.",
            "Recent graduates are welcome to apply.",
            "About a year of experience is plenty, and internships count.",
            "No professional experience needed if you can show us something you've built.",
            "We'll train you; what we need is curiosity and care.",
        ],
        "short": ["0-2 yrs", "junior-friendly", "grads welcome", "first job ok", "entry level", "trainee ok", "1 yr exp", "no exp needed"],
    },
    "Mid-level": {
        "prefixes": ["", "", "Mid-level"],
        "sentences": [
            "You have 3+ years of experience and can own a feature without hand-holding.",
            "We're looking for 2-5 years in a similar role.",
            "After onboarding, we expect you to work independently.",
            "Around three to five years of hands-on experience is what we need.",
            "You've delivered a few projects end to end and want more ownership.",
            "A few years in industry, and you know your way around production systems.",
            "Ideally four years of experience, but we care more about what you've done.",
            "You don't need to be an expert in everything, but you've done this job before.",
        ],
        "short": ["3+ yrs", "2-5 yrs exp", "mid-level", "3-5 years", "4 yrs exp", "a few years in", "2+ yrs", "intermediate"],
    },
    "Senior": {
        "prefixes": ["Senior", "Sr."],
        "sentences": [
            "You bring 5+ years of experience, including mentoring others.",
            "You'll be the person the team turns to for the hard problems, and you'll review others' work.",
            "At least six years in the field; you've seen projects fail and know why.",
            "You'll mentor two junior colleagues and shape our technical decisions.",
            "Significant experience (7+ years) is expected.",
            "This is a senior position for someone who has done this at scale.",
            "You've led projects end to end and can set direction without a manager.",
            "Expect to be the most experienced person in the room on this topic.",
        ],
        "short": ["5+ yrs", "senior, 6+ yrs", "7+ yrs exp", "senior level", "6+ years", "senior IC", "5-8 yrs", "experienced hire"],
    },
    "Lead": {
        "prefixes": ["Lead", "Staff", "Principal"],
        "sentences": [
            "You'll lead a team of {team_size} and report to the CTO.",
            "10+ years of experience, at least two of them leading a team.",
            "You'll set the direction, hire, and run the team's planning.",
            "As the most senior person in this area, you'll own the strategy and grow the team.",
            "Experience managing people (1:1s, hiring, performance reviews) is required.",
            "You'll manage {team_size} people and be accountable for what they deliver.",
            "This is a leadership role: half strategy and people, half hands-on.",
            "You've built a team before and want to do it again.",
        ],
        "short": ["8+ yrs, team lead", "lead role, 10+ yrs", "leading a team of {team_size}", "people lead", "manager role",
                  "10+ yrs, manages a team", "team lead", "head of function"],
    },
}


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

INDUSTRIES = {
    "fintech": ["a payments app for freelancers", "a small-business lending platform", "a budgeting app"],
    "healthcare": ["a patient booking system", "a telehealth app", "software that schedules hospital staff"],
    "logistics": ["a route-planning platform", "warehouse management software", "a freight marketplace"],
    "e-commerce": ["an online grocery store", "a second-hand fashion marketplace", "a checkout platform for small shops"],
    "gaming": ["mobile puzzle games", "a multiplayer racing game", "a platform for indie game studios"],
    "education": ["a language-learning app", "a platform for online courses", "software that schools use to plan lessons"],
    "media": ["a music streaming service", "a local news app", "a podcast hosting platform"],
    "insurance": ["online car insurance", "software for handling claims", "pet insurance"],
    "travel": ["a hotel booking site", "a trip-planning app", "software for tour operators"],
    "energy": ["a home-battery management system", "a carbon-accounting tool", "an app for EV charging"],
    "public sector": ["digital services for a city council", "an online tax-filing service", "a benefits application service"],
    "biotech": ["a lab data platform", "software for clinical trials", "tools for analysing genomic data"],
}
TEST_ONLY_INDUSTRIES = {
    "agriculture": ["a crop-monitoring platform", "farm management software", "a marketplace for grain"],
    "real estate": ["a rental listings site", "software for property managers", "a mortgage comparison tool"],
}
COMPANIES = [
    "Northwind", "Brightpath", "Lumen Labs", "Quarry", "Tidewater", "Kestrel", "Fernhill", "Parcelly",
    "Bluefin", "Copperleaf", "Halcyon", "Pebble", "Sundial", "Wren & Co", "Larkspur", "Marigold",
    "Oakridge", "Cobalt", "Juniper", "Nimbus", "Harbor", "Vantage", "Driftwood", "Meridian",
]
TEST_ONLY_COMPANIES = ["Ashgrove", "Blackbird", "Cinder", "Dovetail", "Everly", "Foxglove", "Granite & Vale", "Heron", "Ironbark", "Jasper"]

# How a company introduces itself.  The test split uses voices nobody trained on.
VOICES = [
    "{company} is {a_industry} company building {product}.",
    "{company} is a {size}-person {industry} startup behind {product}.",
    "At {company} we build {product}, used by {users} people every month.",
    "{company} makes {product}.",
    "Since our Series B, {company} has grown to {size} people; {product} is what we sell.",
    "{company} ({industry}, {city}) builds {product}.",
]
TEST_ONLY_VOICES = [
    "{company} is an employee-owned cooperative: we build {product} and share the profits.",
    "We are {company}. Our product, {product}, is used in {countries} countries.",
    "{company} is a family business that moved into software ten years ago with {product}.",
]

CITIES = ["Berlin", "London", "Amsterdam", "Lisbon", "Austin", "Toronto", "Dublin", "Warsaw", "Manchester", "Barcelona", "Stockholm", "Paris", "New York", "Munich"]
LOCATIONS = CITIES + ["Remote (EU)", "Remote, US time zones", "Hybrid, {city}", "{city} or remote"]
PERKS = [
    "Fully remote, with a team meet-up twice a year.",
    "Hybrid: two days a week in our {city} office.",
    "We pay for courses, books and one conference a year.",
    "Salary band shared in the first call; equity for everyone.",
    "Four-day week after probation.",
    "Generous parental leave and no-meeting Fridays.",
    "Visa sponsorship is available.",
    "30 days of holiday plus public holidays.",
    "Flexible hours: we care about results, not presence.",
]
FILLERS = {
    "metric": ["churn", "demand", "conversion", "customer lifetime value", "delivery times", "fraud losses", "retention", "support volume"],
    "sources": ["40", "a dozen", "60+", "thirty"],
    "rps": ["2,000", "15,000", "50,000", "a few thousand"],
    "users": ["200,000", "2 million", "half a million", "80,000"],
    "team_size": ["four", "five", "six", "eight"],
    "size": ["12", "30", "60", "150", "400"],
    "countries": ["3", "11", "20", "40"],
    "lang": ["Go", "Java", "Kotlin", "Python", "TypeScript", "Ruby", "C#"],
    "ops_lang": ["Python", "Go", "Bash"],
    "fe_framework": ["React", "Vue", "Angular", "Svelte"],
    "team": ["growth", "payments", "platform", "core", "search", "checkout", "mobile", "customer"],
    "ds_area": ["recommendations", "search", "pricing", "fraud detection", "the onboarding funnel", "marketing spend", "the mobile app"],
    "data_source": ["clickstream events", "the CRM", "payment records", "IoT sensor readings", "app telemetry", "ERP exports", "support tickets", "ad platform reports"],
    "ml_system": ["recommendations", "search ranking", "fraud scoring", "demand forecasting", "document classification", "our LLM assistant", "image moderation", "the pricing model"],
    "be_system": ["matchmaking", "the booking engine", "the payments ledger", "notifications", "search", "order processing", "user accounts and permissions", "inventory", "the public API", "the scheduling service"],
    "fe_surface": ["the checkout flow", "the admin dashboard", "the mobile web app", "onboarding", "search results", "the settings pages", "the booking widget", "the storefront"],
    "infra_system": ["the Kubernetes clusters", "our CI runners", "the observability stack", "our AWS accounts", "the CDN and load balancers", "the database fleet", "the build farm", "our on-prem servers"],
    "sec_area": ["our cloud accounts", "the mobile apps", "our public APIs", "employee laptops", "the CI/CD supply chain", "customer data", "the payment flow", "single sign-on"],
    "pm_area": ["onboarding", "billing", "the mobile app", "search", "the partner API", "reporting", "notifications", "checkout"],
    "name": ["Priya", "Tom", "Aisha", "Marco", "Jen", "Lukas", "Sofia", "Kwame"],
}
DO_HEADERS = ["What you'll do", "Responsibilities", "Your day-to-day", "The job", "What you'll work on"]
NEED_HEADERS = ["What we're looking for", "Requirements", "About you", "You'll need", "What you bring"]
BULLETS = ["- ", "* ", "• "]


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
