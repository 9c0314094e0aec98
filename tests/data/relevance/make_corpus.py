# ruff: noqa: E501  (sentence banks are prose: one sentence a line)
"""Generate Lantern's search relevance set: corpus.jsonl + qrels.json beside this file.

    python tests/data/relevance/make_corpus.py

Deterministic (seeded). Each article has a primary topic (its title and summary
are about it) and often a secondary one (a passage in its text), plus general
recovery filler, so queries meet realistic distractors. Topics with common
equivalents (AA / Alcoholics Anonymous, MAT / medication-assisted treatment,
12-step / twelve-step ...) pick ONE spelling per article, so only the search
vocabulary can bridge them.

Judgments: an article is relevant to a query with grade 2 when its primary topic
is one the query is about, grade 1 when that is only its secondary topic. Queries
with an exclusion or a phrase are judged on the text as well (see QUERIES).
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).parent
SEED = 20240501
PER_TOPIC = 15
ROUNDUPS = 30

# One spelling per article for each of these slots: the first in 3 of 4 articles.
# Vocabulary queries mostly use the rarer spelling, so only the vocabulary finds
# the majority of the articles.
FORMS: dict[str, tuple[str, ...]] = {
    "AA": ("Alcoholics Anonymous", "AA"),
    "NA": ("Narcotics Anonymous", "NA"),
    "MAT": ("medication-assisted treatment", "MAT"),
    "STEP": ("12-step", "twelve-step"),
    "NALOX": ("naloxone", "Narcan"),
    "BUP": ("buprenorphine", "Suboxone"),
    "OUD": ("opioid use disorder", "OUD"),
    "AUD": ("alcohol use disorder", "AUD"),
    "CBT": ("cognitive behavioral therapy", "CBT"),
    "DETOX": ("detox", "detoxification"),
}
NAMES = (
    "Maria",
    "James",
    "Aisha",
    "Tom",
    "Priya",
    "Daniel",
    "Rosa",
    "Kevin",
    "Leila",
    "Sam",
    "Grace",
    "Marcus",
    "Hannah",
    "Luis",
    "Nadia",
    "Owen",
    "Chloe",
    "Ravi",
    "Fatima",
    "Ben",
)
CITIES = (
    "Portland",
    "Leeds",
    "Toronto",
    "Austin",
    "Glasgow",
    "Denver",
    "Cork",
    "Melbourne",
    "Baltimore",
    "Manchester",
    "Halifax",
    "Tucson",
    "Bristol",
    "Ottawa",
    "Cleveland",
)

TOPICS: dict[str, dict[str, tuple[str, ...]]] = {
    "aa": {
        "titles": (
            "What my first {AA} meeting taught me",
            "Finding a home group in {AA} after {n} years of drinking",
            "{AA} meetings go hybrid in {city}",
            "Why I keep going back to {AA} meetings",
            "A newcomer's guide to {AA} meetings",
        ),
        "sentences": (
            "I walked into my first {AA} meeting in a church basement and sat by the door.",
            "The people at the {AA} meeting shared stories that sounded exactly like mine.",
            "{AA} meetings in {city} now run in person and online every evening.",
            "Nobody at the meeting asked me to speak; they handed me a coffee and a schedule.",
            "The Big Book reading at the Tuesday {AA} meeting became my anchor.",
            "Open {AA} meetings welcome anyone, while closed meetings are for people who want to stop drinking.",
            "My home group celebrated my {n} month chip with a cake and a lot of hugs.",
            "The fellowship of {AA} gave me a phone list of people I could call at night.",
        ),
    },
    "na": {
        "titles": (
            "{NA} meetings helped me stay clean from heroin",
            "Inside a {NA} convention in {city}",
            "Clean time and the {NA} basic text",
            "How {NA} meetings changed after the pandemic",
            "Staying clean: {n} years in {NA}",
        ),
        "sentences": (
            "At my first {NA} meeting someone told me I never had to use again, just for today.",
            "{NA} meetings focus on the disease of addiction rather than any one drug.",
            "The {NA} basic text reads like it was written by people who knew me.",
            "I picked up a key tag for {n} days clean at the {NA} meeting on Friday.",
            "Members of {NA} in {city} organized a convention with speakers from five states.",
            "Clean time is counted one day at a time, and newcomers are the most important people in the room.",
            "The {NA} service committee carries the message into jails and hospitals.",
        ),
    },
    "steps": {
        "titles": (
            "Working the {STEP} program with a sponsor",
            "The {STEP} approach, explained for families",
            "Step four and the fearless moral inventory",
            "Is the {STEP} model still relevant?",
            "Making amends: step nine in a {STEP} program",
        ),
        "sentences": (
            "My sponsor walked me through the {STEP} program one step at a time.",
            "The {STEP} model asks members to admit powerlessness and seek a higher power.",
            "Writing my fourth step inventory took weeks and a lot of honesty.",
            "Making amends in step nine meant calling my brother after {n} years of silence.",
            "Critics of the {STEP} approach point to its spiritual language, while members value its structure.",
            "Sponsorship is the backbone of {STEP} fellowships: one member guides another through the steps.",
            "Service work and the traditions keep {STEP} groups self-supporting and anonymous.",
        ),
    },
    "smart": {
        "titles": (
            "SMART Recovery meetings offer a science-based alternative",
            "Using the SMART Recovery cost-benefit analysis",
            "Why I chose SMART Recovery over a higher power",
            "SMART Recovery tools for handling urges",
            "SMART Recovery facilitator training comes to {city}",
        ),
        "sentences": (
            "SMART Recovery meetings use tools from cognitive and motivational psychology.",
            "The SMART Recovery cost-benefit analysis helped me see what drinking really cost me.",
            "In SMART Recovery there are no steps or sponsors, only a four-point program.",
            "The four points of SMART Recovery are building motivation, coping with urges, managing thoughts and living a balanced life.",
            "A SMART Recovery facilitator in {city} runs a weekly online meeting for parents.",
            "The DISARM technique in SMART Recovery teaches you to name and dismiss urges.",
            "Many people combine SMART Recovery with therapy or medication.",
        ),
    },
    "mat": {
        "titles": (
            "{MAT} reduces overdose deaths, new study finds",
            "Myths about {MAT} keep patients away",
            "Clinics in {city} expand {MAT} for {OUD}",
            "{MAT} in jails: a pilot program reports results",
            "Starting {MAT} changed my recovery",
        ),
        "sentences": (
            "{MAT} combines medication with counseling for people with {OUD}.",
            "Patients on {MAT} were far less likely to die of an overdose in the year after treatment.",
            "Some recovery groups still say people on {MAT} are not really in recovery, which keeps patients away.",
            "The county jail in {city} began offering {MAT} to inmates with {OUD}.",
            "{MAT} uses buprenorphine, methadone or naltrexone depending on the patient.",
            "Stigma against medication is the biggest barrier to {MAT}, according to clinicians.",
            "Staying on medication for at least a year gives the best outcomes in {MAT}.",
        ),
    },
    "bup": {
        "titles": (
            "Getting a {BUP} prescription from a family doctor",
            "Telehealth {BUP} access after the X-waiver ended",
            "What {BUP} induction feels like",
            "Pharmacies in {city} still refuse to stock {BUP}",
            "Long-acting {BUP} injections explained",
        ),
        "sentences": (
            "{BUP} is a partial opioid agonist that eases cravings and withdrawal.",
            "Since the X-waiver ended, any prescriber can write a {BUP} prescription.",
            "Induction on {BUP} starts once mild withdrawal has begun, to avoid precipitated withdrawal.",
            "Several pharmacies in {city} told patients they did not stock {BUP}.",
            "Telehealth made {BUP} treatment possible for people living far from a clinic.",
            "The monthly injection of {BUP} means no daily film or tablet.",
        ),
    },
    "methadone": {
        "titles": (
            "Life on methadone: the daily clinic line",
            "Take-home methadone doses after the pandemic rules",
            "Methadone clinics in {city} face a zoning fight",
            "Tapering off methadone slowly",
            "Methadone maintenance and working full time",
        ),
        "sentences": (
            "Every morning I stand in line at the methadone clinic before work.",
            "Pandemic rules allowed more take-home methadone doses, and patients did well.",
            "Neighbors in {city} opposed a new methadone clinic near a school.",
            "Methadone is a full opioid agonist dispensed daily at licensed clinics.",
            "My doctor and I planned a slow methadone taper over {n} months.",
            "Methadone maintenance let me keep a job and raise my kids.",
        ),
    },
    "naloxone": {
        "titles": (
            "How to use {NALOX} to reverse an overdose",
            "Free {NALOX} vending machines arrive in {city}",
            "{NALOX} training at the public library",
            "Over-the-counter {NALOX}: what changes",
            "Carrying {NALOX} saved my neighbor",
        ),
        "sentences": (
            "{NALOX} reverses an opioid overdose within minutes when sprayed into the nose.",
            "Vending machines in {city} now hand out {NALOX} kits for free.",
            "The library offered a {NALOX} training where we practiced on a dummy.",
            "{NALOX} nasal spray is now sold over the counter without a prescription.",
            "Give a second dose of {NALOX} if the person does not respond after a few minutes.",
            "I used the {NALOX} in my bag when my neighbor stopped breathing in the stairwell.",
            "Police officers and teachers in {city} now carry {NALOX}.",
        ),
    },
    "harm": {
        "titles": (
            "Harm reduction meets people where they are",
            "Syringe services programs in {city} under threat",
            "Fentanyl test strips become legal in more states",
            "What harm reduction workers want you to know",
            "Harm reduction and recovery are not opposites",
        ),
        "sentences": (
            "Harm reduction means meeting people where they are without demanding abstinence first.",
            "The syringe services program in {city} hands out clean needles and tests for HIV.",
            "Fentanyl test strips let people check their drugs before using.",
            "Harm reduction workers hand out water, wound care supplies and naloxone.",
            "Critics say harm reduction enables drug use, but studies show it brings people into treatment.",
            "Never use alone: harm reduction hotlines send help if a caller stops responding.",
            "Supervised consumption sites have reversed thousands of overdoses without a death.",
        ),
    },
    "fentanyl": {
        "titles": (
            "Fentanyl is in the street supply of {city}",
            "Overdose deaths from fentanyl rise again",
            "Xylazine and fentanyl: a new danger",
            "Why fentanyl is so deadly",
            "Counterfeit pills laced with fentanyl",
        ),
        "sentences": (
            "Fentanyl is fifty times stronger than heroin, so tiny amounts can kill.",
            "Overdose deaths in {city} rose {n} percent last year, driven by fentanyl.",
            "Xylazine mixed with fentanyl causes wounds and does not respond to naloxone.",
            "Counterfeit pills sold as painkillers often contain fentanyl.",
            "The medical examiner found fentanyl in most overdose deaths this year.",
            "Public health officials warn that no street drug supply is free of fentanyl.",
        ),
    },
    "relapse": {
        "titles": (
            "Relapse is not failure",
            "Building a relapse prevention plan",
            "Warning signs before a relapse",
            "What I learned after relapsing at {n} months",
            "HALT: hungry, angry, lonely, tired",
        ),
        "sentences": (
            "Relapse is part of many recovery stories, not the end of them.",
            "My relapse prevention plan lists my triggers, my people and what to do in a craving.",
            "Emotional relapse starts long before the first drink or drug.",
            "I relapsed at {n} months and felt so much shame I almost stopped going to meetings.",
            "HALT reminds me to check whether I am hungry, angry, lonely or tired.",
            "Therapists describe relapse in stages: emotional, mental and physical.",
            "After a relapse, the most important thing is reaching out quickly.",
        ),
    },
    "family": {
        "titles": (
            "Loving someone with an addiction",
            "Al-Anon helped me stop trying to fix my husband",
            "Setting boundaries with an adult child who uses",
            "Talking to kids about a parent's addiction",
            "Family recovery is recovery too",
        ),
        "sentences": (
            "Al-Anon meetings are for families and friends of people who drink.",
            "I learned I did not cause my son's addiction, cannot control it and cannot cure it.",
            "Setting boundaries with my daughter meant no longer paying her rent.",
            "Children of parents with addiction often feel responsible for the chaos at home.",
            "Family therapy helped us talk about years of broken promises.",
            "CRAFT teaches families to encourage a loved one into treatment without confrontation.",
            "Nar-Anon gave me a room full of parents who understood.",
        ),
    },
    "alcohol": {
        "titles": (
            "How I stopped drinking at {n}",
            "Signs your drinking has become a problem",
            "Alcohol withdrawal can be dangerous",
            "The first {n} days without alcohol",
            "Drinking culture at work and staying sober",
        ),
        "sentences": (
            "I stopped drinking after a morning I could not remember the night before.",
            "Drinking every night to fall asleep was the first sign I ignored.",
            "Alcohol withdrawal can cause seizures, so stopping heavy drinking needs medical advice.",
            "The first weeks without alcohol brought better sleep and clearer mornings.",
            "Office parties built around drinking were the hardest part of staying sober.",
            "I ordered sparkling water and nobody at the bar noticed.",
            "My doctor said my liver numbers improved after {n} months without a drink.",
        ),
    },
    "aud": {
        "titles": (
            "New medication trial for {AUD}",
            "{AUD} is under-treated, researchers say",
            "Naltrexone and acamprosate for {AUD}",
            "Screening for {AUD} in primary care",
            "{AUD} rates rose during lockdowns",
        ),
        "sentences": (
            "Fewer than one in ten people with {AUD} receive any treatment, the survey found.",
            "Naltrexone and acamprosate are approved medications for {AUD}, but rarely prescribed.",
            "Researchers in {city} are testing semaglutide as a treatment for {AUD}.",
            "A short screening questionnaire can detect {AUD} during a routine visit.",
            "Rates of {AUD} rose among women during pandemic lockdowns.",
            "The study followed {n} adults with {AUD} for two years.",
        ),
    },
    "oud": {
        "titles": (
            "{OUD} treatment gaps in rural counties",
            "Emergency departments start treating {OUD}",
            "{OUD} and pregnancy: safer care",
            "The cost of untreated {OUD}",
            "Youth with {OUD} rarely get medication",
        ),
        "sentences": (
            "Rural counties have few prescribers for people with {OUD}.",
            "Emergency departments in {city} now start medication for {OUD} after an overdose.",
            "Pregnant patients with {OUD} do better on medication than with withdrawal.",
            "Untreated {OUD} costs the economy billions in lost work and health care.",
            "Only a small share of teenagers with {OUD} receive buprenorphine.",
            "People with {OUD} face stigma from health workers, the report found.",
        ),
    },
    "detox": {
        "titles": (
            "What to expect in medical {DETOX}",
            "{DETOX} is not treatment, but it is a start",
            "Home {DETOX} versus an inpatient unit",
            "My {n} days in a {DETOX} unit",
            "Finding a {DETOX} bed in {city}",
        ),
        "sentences": (
            "Medical {DETOX} manages withdrawal symptoms safely over several days.",
            "{DETOX} alone rarely leads to lasting recovery without follow-up treatment.",
            "Nurses in the {DETOX} unit checked my blood pressure every few hours.",
            "Finding an open {DETOX} bed in {city} took three days of phone calls.",
            "Home {DETOX} from alcohol can be risky without medical supervision.",
            "After {DETOX}, I went straight into a residential program.",
        ),
    },
    "soberliving": {
        "titles": (
            "Choosing a sober living home",
            "Rules of the sober house",
            "Recovery housing needs standards",
            "Life in a sober living house in {city}",
            "Leaving sober living after {n} months",
        ),
        "sentences": (
            "Sober living homes offer a drug-free place to live after treatment.",
            "The sober house had a curfew, chores and weekly drug tests.",
            "Advocates want certification for recovery housing to stop fraud.",
            "Living with five other men in recovery taught me accountability.",
            "Residents of sober living pay rent and must attend meetings.",
            "I left the sober living house after {n} months with savings and a job.",
        ),
    },
    "peer": {
        "titles": (
            "Recovery coaches in the emergency room",
            "Becoming a peer support specialist",
            "Peer support works because we have been there",
            "Recovery coaching certification in {city}",
            "Paying peer workers fairly",
        ),
        "sentences": (
            "A recovery coach met me in the emergency room the night of my overdose.",
            "Peer support specialists use their own lived experience to help others.",
            "Peer support works because the person across from you has been there.",
            "The recovery coaching course in {city} takes {n} hours of training.",
            "Peer workers are often paid less than other staff despite their skills.",
            "Recovery community organizations train and employ peer recovery coaches.",
        ),
    },
    "therapy": {
        "titles": (
            "How {CBT} helps with cravings",
            "Trauma therapy in addiction recovery",
            "Finding a therapist who understands addiction",
            "{CBT} worksheets I actually use",
            "Dialectical behavior therapy skills for recovery",
        ),
        "sentences": (
            "{CBT} teaches you to notice the thoughts that come before a craving.",
            "My therapist used {CBT} to challenge the belief that I needed a drink to relax.",
            "Trauma-focused therapy helped me understand why I started using.",
            "Dialectical behavior therapy gave me skills for distress tolerance.",
            "Finding a therapist who understands addiction took several tries.",
            "Studies show {CBT} reduces relapse when combined with medication.",
        ),
    },
    "mental": {
        "titles": (
            "Depression and addiction: treating both",
            "Anxiety in early recovery",
            "Dual diagnosis care is hard to find",
            "Suicide prevention in recovery communities",
            "Mental health days in sobriety",
        ),
        "sentences": (
            "Depression and addiction often feed each other, so both need treatment.",
            "Anxiety spiked in my first months of recovery before it got better.",
            "People with a dual diagnosis are often bounced between mental health and addiction services.",
            "Suicide risk is higher after a relapse, so check in on friends.",
            "My psychiatrist adjusted my antidepressant once I stopped drinking.",
            "Mental health and recovery are part of the same journey.",
        ),
    },
    "gambling": {
        "titles": (
            "Sports betting apps and the rise of problem gambling",
            "Gamblers Anonymous saved my marriage",
            "Gambling debt and recovery",
            "Self-exclusion from casinos and betting sites",
            "Gambling addiction among young men",
        ),
        "sentences": (
            "Sports betting apps made gambling available on my phone at any hour.",
            "Gamblers Anonymous meetings helped me face the debt I had hidden.",
            "Problem gambling affects the whole family's finances.",
            "Self-exclusion lists block you from casinos and betting sites.",
            "Young men are the fastest-growing group seeking help for gambling addiction.",
            "A gambling helpline in {city} takes calls around the clock.",
        ),
    },
    "nicotine": {
        "titles": (
            "Quitting smoking in recovery",
            "Vaping addiction among teenagers",
            "Nicotine patches and gum: do they work?",
            "Why recovery meetings are full of smokers",
            "I quit vaping after {n} years",
        ),
        "sentences": (
            "Quitting smoking in recovery improves long-term sobriety, studies suggest.",
            "Vaping is the most common way teenagers use nicotine today.",
            "Nicotine patches and gum double the chances of quitting smoking.",
            "The smoking area outside meetings is where many friendships start.",
            "I quit vaping with a patch and a quit line coach.",
            "Varenicline helps people stop smoking by reducing nicotine cravings.",
        ),
    },
    "cannabis": {
        "titles": (
            "Cannabis use disorder is real",
            "Quitting weed after daily use",
            "Marijuana legalization and teen use",
            "High-potency cannabis and psychosis",
            "Is California sober a thing?",
        ),
        "sentences": (
            "Cannabis use disorder affects about three in ten people who use marijuana.",
            "Quitting weed after years of daily use brought vivid dreams and irritability.",
            "Teen marijuana use did not rise after legalization, a new survey says.",
            "High-potency cannabis is linked to a higher risk of psychosis.",
            "Some people call using only cannabis while quitting alcohol California sober.",
            "Marijuana Anonymous meetings are small but growing.",
        ),
    },
    "stories": {
        "titles": (
            "{n} years sober: what changed",
            "My sobriety anniversary letter",
            "From rock bottom to college graduate",
            "The day I asked for help",
            "One year sober and grateful",
        ),
        "sentences": (
            "Today I celebrate {n} years of sobriety, and I still remember my last day drinking.",
            "My sobriety anniversary is the only birthday I really celebrate now.",
            "I hit rock bottom in a hospital bed in {city}.",
            "Asking for help was the hardest and best thing I ever did.",
            "My kids trust me again, and that is the best gift of sobriety.",
            "Gratitude lists got me through the first year of sobriety.",
            "I went back to college at {n} and graduated with honors.",
        ),
    },
    "research": {
        "titles": (
            "Study: recovery is more common than people think",
            "New research on addiction and the brain",
            "Survey finds {n} million Americans in recovery",
            "Researchers track recovery capital over ten years",
            "What the latest overdose data shows",
        ),
        "sentences": (
            "A national survey found that most people with addiction eventually recover.",
            "Brain imaging research shows changes in reward circuits that heal with time.",
            "The researchers followed {n} participants for a decade.",
            "Recovery capital, the resources a person can draw on, predicts long-term outcomes.",
            "Provisional data show overdose deaths fell for the first time in years.",
            "The randomized trial was published in a leading medical journal.",
        ),
    },
    "sobercurious": {
        "titles": (
            "Dry January: what a month off alcohol does",
            "The sober curious movement grows",
            "Alcohol-free bars open in {city}",
            "Mocktails and the new sober curious crowd",
            "Finishing Dry January and what came next",
        ),
        "sentences": (
            "Dry January participants reported better sleep and more energy.",
            "The sober curious movement invites people to question their drinking without a label.",
            "An alcohol-free bar in {city} serves mocktails to a packed room on Fridays.",
            "Non-alcoholic beer sales have grown every year.",
            "After Dry January, many people keep drinking less for months.",
        ),
    },
}
# Sentences any article may carry: they reuse query words in other senses or in
# passing (meeting, clean, coach, support, treatment, family, research, study ...),
# so the ranking has to prefer what an article is about.
AMBIGUOUS = (
    "The city council meeting on the new budget ran late into the night.",
    "Our football coach used to say that showing up is half the battle.",
    "The study hall at the library stays open until ten.",
    "We cleaned the kitchen together every Sunday as a family.",
    "The treatment plant upgrade will cost the county millions.",
    "Peer-reviewed research takes years to reach the clinic.",
    "Support for the new park came from every neighborhood.",
    "The training schedule for the marathon starts in March.",
    "Her family moved to {city} when she was twelve.",
    "The program on local radio airs every Saturday morning.",
    "Prescription drug prices keep rising, pharmacists say.",
    "Time in nature helps my anxiety more than anything else.",
    "The hospital emergency room was full on the night of the storm.",
    "A new clinic opened downtown offering flu shots and checkups.",
    "Step by step, the community garden took shape.",
    "The police report said nobody was hurt in the crash.",
    "I still drink coffee at every meeting, old habits die hard.",
    "Recovery after knee surgery took longer than the doctors promised.",
)
FILLER = (
    "Recovery looks different for everyone.",
    "If you or someone you love is struggling, help is available.",
    "Talk to a doctor before making changes to any medication.",
    "Community support makes a real difference in the first year.",
    "Names have been changed to protect privacy.",
    "The event is free and open to the public.",
    "Local organizations are asking for volunteers.",
    "Share this with someone who might need it today.",
    "Funding for the program runs through the end of the year.",
    "Progress, not perfection, is a phrase I repeat often.",
)


@dataclass(frozen=True)
class Query:
    id: str
    text: str
    kind: str  # vocabulary | stemming | phrase | exclusion | plain
    topics: tuple[str, ...]
    require: str | None = None  # judged relevant only if the text contains this (regex)
    forbid: str | None = None  # ... and does not contain this (regex)


QUERIES = (
    Query("q01", "AA meetings", "vocabulary", ("aa",)),
    Query("q02", "Alcoholics Anonymous", "vocabulary", ("aa",)),
    Query("q03", "narcotics anonymous", "vocabulary", ("na",)),
    Query("q04", "NA clean time", "vocabulary", ("na",)),
    Query("q05", "MAT", "vocabulary", ("mat",)),
    Query("q06", "medication-assisted treatment jail", "vocabulary", ("mat",)),
    Query("q07", "twelve-step", "vocabulary", ("steps",)),
    Query("q08", "12-step sponsor", "vocabulary", ("steps",)),
    Query("q09", "naloxone", "vocabulary", ("naloxone",)),
    Query("q10", "Narcan training", "vocabulary", ("naloxone",)),
    Query("q11", "suboxone prescription", "vocabulary", ("bup",)),
    Query("q12", "buprenorphine", "vocabulary", ("bup",)),
    Query("q13", "OUD", "vocabulary", ("oud",)),
    Query("q14", "alcohol use disorder treatment", "vocabulary", ("aud",)),
    Query("q15", "CBT", "vocabulary", ("therapy",)),
    Query("q16", "detoxification", "vocabulary", ("detox",)),
    Query("q17", "sobriety anniversary", "vocabulary", ("stories",)),
    Query("q18", "methadone clinic", "plain", ("methadone",)),
    Query("q19", "SMART Recovery", "plain", ("smart",)),
    Query("q20", "harm reduction", "plain", ("harm",)),
    Query("q21", "fentanyl overdose deaths", "plain", ("fentanyl",)),
    Query("q22", "gambling", "plain", ("gambling",)),
    Query("q23", "quit smoking", "vocabulary", ("nicotine",)),
    Query("q24", "vaping", "plain", ("nicotine",)),
    Query("q25", "marijuana", "vocabulary", ("cannabis",)),
    Query("q26", "sober living", "vocabulary", ("soberliving",)),
    Query("q27", "recovery coach", "vocabulary", ("peer",)),
    Query("q28", "peer support", "vocabulary", ("peer",)),
    Query("q29", "Al-Anon family", "plain", ("family",)),
    Query("q30", "depression anxiety", "plain", ("mental",)),
    Query("q31", "relapsing", "stemming", ("relapse",)),
    Query("q32", "stopped drinking", "stemming", ("alcohol",)),
    Query("q33", "overdoses", "stemming", ("fentanyl", "naloxone")),
    Query("q34", "dry january", "vocabulary", ("sobercurious",)),
    Query(
        "q35",
        '"relapse prevention plan"',
        "phrase",
        ("relapse",),
        require=r"relapse prevention plan",
    ),
    Query("q36", '"test strips"', "phrase", ("harm",), require=r"test strips"),
    Query("q37", "harm reduction -fentanyl", "exclusion", ("harm",), forbid=r"fentanyl"),
    Query("q38", "naloxone -library", "exclusion", ("naloxone",), forbid=r"library"),
    Query("q39", "detox unit", "plain", ("detox",)),
    Query("q40", "research study recovery", "plain", ("research",)),
    Query(
        "q41",
        "treatment options for opioid addiction",
        "natural",
        ("mat", "bup", "methadone", "oud"),
    ),
    Query("q42", "how to help my son who is using drugs", "natural", ("family",)),
    Query("q43", "AA", "vocabulary", ("aa",)),
    Query("q44", "meeting", "plain", ("aa", "na", "smart")),
    Query("q45", "clean needles", "plain", ("harm",)),
    Query("q46", "is weed addictive", "natural", ("cannabis",)),
    Query("q47", "medications for alcoholism", "vocabulary", ("aud",)),
    Query("q48", "women drinking during lockdown", "natural", ("aud", "alcohol")),
)


ROUNDUP_TITLES = (
    "Weekly recovery news roundup",
    "Community calendar for {city}",
    "This month in recovery: links and events",
    "Reader questions answered",
    "Five things we read this week",
)


def _fill(template: str, forms: dict[str, str], rng: random.Random) -> str:
    def sub(m: re.Match[str]) -> str:
        key = m[1]
        if key in forms:
            return forms[key]
        if key == "city":
            return rng.choice(CITIES)
        if key == "n":
            return str(rng.choice((2, 3, 5, 6, 8, 10, 12, 15, 18, 20, 30, 40)))
        raise KeyError(key)

    text = re.sub(r"\{(\w+)\}", sub, template)
    return text[0].upper() + text[1:]


def make_corpus(seed: int = SEED) -> list[dict[str, object]]:
    rng = random.Random(seed)
    topics = sorted(TOPICS)
    start = datetime(2022, 1, 1, tzinfo=UTC)
    articles: list[dict[str, object]] = []
    plan = [t for t in topics for _ in range(PER_TOPIC)]
    rng.shuffle(plan)
    for i, primary in enumerate(plan, start=1):
        forms = {k: rng.choices(v, weights=(3, 1))[0] for k, v in FORMS.items()}
        bank = TOPICS[primary]
        secondary = rng.choice([t for t in topics if t != primary]) if rng.random() < 0.6 else None
        title = _fill(rng.choice(bank["titles"]), forms, rng)
        own = rng.sample(bank["sentences"], k=min(len(bank["sentences"]), rng.randint(4, 6)))
        summary = " ".join(_fill(s, forms, rng) for s in own[:2])
        body = [_fill(s, forms, rng) for s in own[2:]]
        if secondary is not None:
            body += [_fill(s, forms, rng) for s in rng.sample(TOPICS[secondary]["sentences"], k=2)]
        body += [_fill(x, forms, rng) for x in rng.sample(AMBIGUOUS, k=rng.randint(1, 3))]
        body += rng.sample(FILLER, k=rng.randint(1, 3))
        rng.shuffle(body)
        articles.append(
            {
                "id": i,
                "title": title,
                "summary": summary,
                "content": " ".join(body),
                "author": rng.choice(NAMES),
                "published": (start + timedelta(hours=rng.randint(0, 3 * 365 * 24))).isoformat(),
                "primary": primary,
                "secondary": secondary,
            }
        )
    # Roundups: one sentence on each of several topics (they mention, are not about).
    for j in range(ROUNDUPS):
        forms = {k: rng.choices(v, weights=(3, 1))[0] for k, v in FORMS.items()}
        mentioned = sorted(rng.sample(topics, k=rng.randint(4, 7)))
        body = [_fill(rng.choice(TOPICS[t]["sentences"]), forms, rng) for t in mentioned]
        body.append(_fill(rng.choice(AMBIGUOUS), forms, rng))
        articles.append(
            {
                "id": len(plan) + j + 1,
                "title": _fill(rng.choice(ROUNDUP_TITLES), forms, rng),
                "summary": body[0],
                "content": " ".join(body[1:]),
                "author": rng.choice(NAMES),
                "published": (start + timedelta(hours=rng.randint(0, 3 * 365 * 24))).isoformat(),
                "primary": "roundup",
                "secondary": None,
                "mentions": mentioned,
            }
        )
    return articles


def judge(articles: list[dict[str, object]]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for q in QUERIES:
        relevant: dict[str, int] = {}
        for a in articles:
            text = f"{a['title']} {a['summary']} {a['content']}".casefold()
            if q.require and not re.search(q.require, text):
                continue
            if q.forbid and re.search(q.forbid, text):
                continue
            if a["primary"] in q.topics:
                relevant[str(a["id"])] = 2
            elif a["secondary"] in q.topics or set(a.get("mentions", ())) & set(q.topics):
                relevant[str(a["id"])] = 1
        out.append({"id": q.id, "text": q.text, "kind": q.kind, "relevant": relevant})
    return out


def main() -> None:
    articles = make_corpus()
    with (HERE / "corpus.jsonl").open("w", encoding="utf-8") as fh:
        for a in articles:
            fh.write(json.dumps(a, ensure_ascii=False) + "\n")
    (HERE / "qrels.json").write_text(
        json.dumps({"queries": judge(articles)}, indent=1, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    print(f"{len(articles)} articles, {len(QUERIES)} queries -> {HERE}")


if __name__ == "__main__":
    main()
