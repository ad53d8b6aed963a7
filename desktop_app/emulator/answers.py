"""Curated prose for the emulator's demo replies: complete answers chosen by topic or intent.

Demo mode is the first impression for everyone without a key, so its replies must read like a
real assistant's. Every answer here is written out in full and chosen by keywords; none is a
template to be filled with words from the prompt (that produced word salad such as "smart
routing is in two sentences is easiest to understand by ..."). `textgen` decides which entry
fits a request and how much of it a model says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Topic:
    """A subject the demo can explain at three lengths."""

    key: str
    pattern: re.Pattern[str]  # searched in the lower-cased prompt
    short: tuple[str, ...]  # two sentences each; the first one stands on its own
    intros: tuple[str, ...]  # the opening paragraph of a full answer
    body: str  # the core of a full answer (paragraphs, a bullet list)
    extra: str  # what the more thorough models add


_BLOCK_START = re.compile(r"(?:[-*] |\d+\. |#|```)")


def unwrap(text: str) -> str:
    """Join the lines the source wraps at 100 columns: one line per paragraph or list item.

    Assistants send unwrapped paragraphs; code fences are left as they are.
    """
    out: list[str] = []
    fenced = False
    for line in text.strip().split("\n"):
        joins = bool(out and out[-1].strip()) and not fenced and not out[-1].startswith("```")
        if line.startswith("```"):
            fenced = not fenced
        elif joins and line.strip() and not _BLOCK_START.match(line):
            out[-1] += " " + line.strip()
            continue
        out.append(line)
    return "\n".join(out)


def _topic(
    key: str, pattern: str, short: tuple[str, ...], intros: tuple[str, ...], body: str, extra: str
) -> Topic:
    return Topic(key, re.compile(pattern), short, intros, unwrap(body), unwrap(extra))


# Tried in order: the specific before the general ("routechat" before "routing", "neural
# networks" before "machine learning").
TOPICS: tuple[Topic, ...] = (
    _topic(
        "routechat",
        r"\broute ?chat\b|\bthis (?:app|application|program|client)\b",
        (
            "RouteChat is a desktop chat app for Eden AI's smart routing: you pick a tier, and "
            "Eden AI's router chooses the model that answers each message. Every reply shows "
            "which model answered, what it cost, how many tokens it used and how long it took.",
        ),
        (
            "RouteChat is a desktop chat client for Eden AI's smart-routing API.",
            "RouteChat lets you chat with many language models from one window, without "
            "choosing a model for every message.",
        ),
        """
Instead of committing to one model, you choose a tier and Eden AI's router picks the model for
each message within it:

- **Budget**: the cheapest capable models, ideal for quick questions.
- **Balanced**: good quality at a moderate price, and the default.
- **Premium**: the strongest models, for demanding work.

There are also pools for code, creative writing, fast Q&A and function calling, or you can pin
one fixed model. Each reply carries a badge with the model that answered, its cost, the tokens
in and out, the time to the first token and the total time, so you always know what you are
paying for.
""",
        """
Your API key stays in the system keyring, and each tab is its own conversation that you can
rename, reorder and export as Markdown or JSON. In demo mode a small local server stands in for
Eden AI: the routing is real, but the answers are invented and nothing is billed.
""",
    ),
    _topic(
        "tiers",
        r"\btiers?\b|\bbudget\b.*\bpremium\b|\bbalanced\b.*\b(?:budget|premium)\b",
        (
            "Budget uses the cheapest capable models, balanced trades a little cost for better "
            "quality, and premium sends your messages to the strongest models. Within any tier, "
            "the router still picks the model for each message, so the tier sets the range of "
            "price and quality rather than one model.",
        ),
        (
            "A tier is the pool of candidate models the router may choose from.",
            "Think of the tiers as three price bands for the same smart routing.",
        ),
        """
Each tier trades cost against quality in a different way:

- **Budget**: small, fast models such as GPT-4o mini, Gemini 2.0 Flash and Claude Haiku. Great
  for quick facts, rewording and short summaries, at a fraction of a cent per reply.
- **Balanced**: the default, mixing strong general models with a fast one, so everyday
  questions stay cheap and harder ones get a capable model.
- **Premium**: the most capable models, for long analyses, subtle writing and tricky code.

The tier applies from your next message, so you can start cheap and switch up only when an
answer needs more depth.
""",
        """
A practical habit is to stay on balanced by default and glance at the cost on each reply: if a
conversation turns out to be simple, budget will usually answer just as well for much less.
""",
    ),
    _topic(
        "smart_routing",
        r"\bsmart[- ]?rout\w*|\b(?:model|llm|ai|prompt) rout\w*|\brouting\b|\beden ?ai\b|"
        r"\brouters?\b.*\b(?:models?|llms?|choos\w*|picks?)\b|\b(?:models?|llms?)\b.*\brouters?\b",
        (
            "Smart routing sends each message to the model best suited to it, choosing among "
            "several candidates by the kind of request and the price. Simple questions go to "
            "fast, cheap models and demanding ones to stronger models, so you get good answers "
            "without paying premium prices for everything.",
            "Smart routing means a router, not you, picks which language model answers each "
            "message. It weighs the request against the candidates' strengths and prices, so "
            "easy prompts stay cheap and hard ones get a capable model.",
        ),
        (
            "Smart routing lets a router choose which language model answers each message, "
            "instead of sending everything to one fixed model.",
            "With smart routing you don't pick a model for every message: a router looks at "
            "the request and chooses one from a set of candidates.",
            "Smart routing treats models as a pool rather than a single choice, and sends every "
            "message to the candidate that fits it best.",
        ),
        """
Models differ a lot in strengths and even more in price. A short factual question doesn't need
the most expensive model, while tricky code or a long piece of writing often benefits from a
stronger one. A router makes that call for every message:

- **Classify the request**: code, creative writing, a quick question or a long analysis.
- **Filter the candidates**: keep only the models that can do the job, for example those that
  support function calling when tools are involved.
- **Weigh quality against price**: pick the model that should do well for the lowest cost.
- **Fall back on failure**: if a provider errors or times out, another candidate answers.

In RouteChat you choose a tier (budget, balanced or premium), Eden AI's router picks the model
for each message, and every reply shows which model answered, what it cost and how long it
took.
""",
        """
The trade-off is control. Routing optimises for the typical case, so when you need one exact
model, for reproducible results or a particular context window, a fixed model is the better
choice. A good way to judge a router is to watch the cost per reply for a few days and compare
it with what a single premium model would have charged.
""",
    ),
    _topic(
        "llm_cost",
        r"\b(?:llms?|models?|tokens?|ai|apis?|gpt\S*|claude|gemini|eden)\b.*\b(?:costs?|price\w*|"
        r"expensive|cheap\w*|billing|billed|spend\w*)\b|\b(?:costs?|price\w*|expensive|cheap\w*|"
        r"billing|billed|spend\w*)\b.*\b(?:llms?|models?|tokens?|gpt\S*|claude|gemini|haiku|eden)\b|"
        r"\bwhat (?:is|are) (?:a )?tokens?\b",
        (
            "Language models are billed per token, about three quarters of a word, with separate "
            "prices for the text you send and the text you get back. Output tokens usually cost "
            "several times more than input tokens, so long answers and long conversations are "
            "what drive the bill.",
        ),
        (
            "LLM costs come down to tokens: every request pays for the text it sends and for "
            "the text it gets back.",
            "Most of what you pay for a language model is decided by two numbers: how many "
            "tokens go in and how many come out.",
        ),
        """
Providers publish a price per million input tokens and a higher one per million output tokens.
The spread between models is wide: a small model can cost well under a dollar per million output
tokens, while a flagship model can cost tens of dollars for the same amount.

A few habits keep the bill down:

- **Route by difficulty**: send simple questions to cheap models and keep premium models for
  work that needs them.
- **Keep the context lean**: the whole conversation is sent again with every turn, so long
  threads get more expensive; start a new one when the subject changes.
- **Ask for the length you need**: a tight answer costs less than an essay.
- **Measure**: look at the cost of each reply instead of guessing.
""",
        """
Prompt caching helps as well: several providers charge much less for input they have seen
recently, which rewards keeping a long system prompt identical between calls. RouteChat shows
the cost on every reply, so it is easy to spot conversations that could move to a cheaper tier.
""",
    ),
    _topic(
        "llm",
        r"\bllms?\b|\blanguage models?\b|\bchat ?gpt\b|\bgpt\b|\btransformers?\b|"
        r"\bhow do (?:you|ai|chatbots) work\b",
        (
            "A large language model is a neural network trained on vast amounts of text to "
            "predict the next token, a word or part of a word. Doing that well at scale lets it "
            "answer questions, summarise, translate and write code, although it can still state "
            "wrong things with confidence.",
        ),
        (
            "A large language model (LLM) is a neural network trained to continue text.",
            "Underneath, large language models are extremely good next-word predictors.",
        ),
        """
During training the model reads an enormous amount of text and learns to predict what comes
next. To do that well it has to pick up grammar, facts, styles of reasoning and the structure of
code along the way.

- **Tokens**: text is split into pieces of roughly three quarters of a word, which are also the
  unit of pricing.
- **Transformers**: the attention mechanism lets every token take the others into account,
  which is what makes long, coherent answers possible.
- **Fine-tuning**: after pre-training, models are tuned on instructions and human feedback so
  that they follow requests helpfully.
- **Context window**: how much text the model can consider at once, from tens of thousands to
  over a million tokens.

Because the model generates plausible text rather than looking facts up, it can be wrong with
confidence, so important facts deserve a second source.
""",
        """
Models make different trade-offs between quality, speed and price, which is why routing between
them pays off: no single model is the best choice for every message.
""",
    ),
    _topic(
        "neural_networks",
        r"\bneural net(?:work)?s?\b|\bdeep learning\b|\bbackpropagation\b",
        (
            "A neural network is a model built from layers of simple units, each of which "
            "combines its inputs with learned weights and passes the result on. Training adjusts "
            "those weights, example by example, until the network's outputs match the answers "
            "it should give.",
        ),
        (
            "A neural network is a stack of simple calculations whose settings are learned from "
            "data rather than written by hand.",
            "Neural networks are the workhorse of modern machine learning, from image "
            "recognition to language models.",
        ),
        """
Each unit (a "neuron") multiplies its inputs by weights, adds them up and applies a simple
non-linear function. Stacking many layers of them lets the network represent very complex
patterns, which is what "deep" learning refers to.

- **Forward pass**: an input flows through the layers and produces a prediction.
- **Loss**: a number that measures how wrong the prediction was.
- **Backpropagation**: works out how much each weight contributed to the error.
- **Gradient descent**: nudges every weight a little in the direction that reduces the error.

Repeat that over millions of examples and the network learns features on its own: edges and
shapes in images, or grammar and meaning in text.
""",
        """
The flip side is that neural networks need a lot of data and computing power, and their
reasoning is hard to inspect, which is why interpretability is an active research field.
""",
    ),
    _topic(
        "machine_learning",
        r"\bmachine learning\b|\bml\b|\bsupervised\b|"
        r"\btrain(?:ing)? (?:a )?models?\b",
        (
            "Machine learning is a way of building software that learns patterns from examples "
            "instead of following rules written by hand. You show a model many examples, it "
            "adjusts its internal parameters to make fewer mistakes, and then it can make "
            "predictions on data it has never seen.",
            "Machine learning lets computers improve at a task by studying data rather than "
            "being explicitly programmed. A model is trained on examples until its predictions "
            "are accurate, then used on new inputs.",
        ),
        (
            "Machine learning is a branch of artificial intelligence in which computers learn "
            "from data rather than from explicit instructions.",
            "At its core, machine learning means teaching a computer by example instead of "
            "programming every rule by hand.",
            "Machine learning is how a program gets better at a task by studying examples of it.",
        ),
        """
Instead of writing rules such as "if the email contains these words, it's spam", you give the
system thousands of emails labelled spam or not spam, and it works out which patterns matter.

The main kinds are:

- **Supervised learning**: learning from labelled examples, for spam filters, price
  predictions or image classification.
- **Unsupervised learning**: finding structure in unlabelled data, such as grouping customers
  with similar habits.
- **Reinforcement learning**: learning by trial and error from rewards, as in game-playing
  agents and robotics.

Training adjusts a model's parameters to reduce its errors on the training data; the real test
is how well it does on new data. Large language models are one example: neural networks trained
on huge amounts of text to predict the next word.
""",
        """
The most common pitfall is overfitting: a model that memorises its training data instead of
learning general patterns, so it scores well in training and poorly in real use. Holding back a
test set, keeping the model as simple as the problem allows and collecting more varied data are
the usual remedies.
""",
    ),
    _topic(
        "ai",
        r"\bartificial intelligence\b|\bai\b",
        (
            "Artificial intelligence is the field of building computer systems that do things we "
            "associate with human intelligence, such as understanding language, recognising "
            "images or making decisions. Most of today's AI is machine learning: systems that "
            "learn these skills from large amounts of data instead of following hand-written "
            "rules.",
        ),
        (
            "Artificial intelligence (AI) is the broad goal of making computers do tasks that "
            "normally take human intelligence.",
        ),
        """
Early AI relied on rules written by experts; modern AI mostly learns from examples. A few terms
help to place things:

- **Machine learning**: systems that learn patterns from data rather than rules.
- **Deep learning**: machine learning with large neural networks, behind most recent progress.
- **Generative AI**: models that produce text, images or code, such as large language models.
- **Narrow vs general**: today's systems are narrow, very good at specific tasks, while
  human-like general intelligence remains a research goal.
""",
        """
AI systems are powerful but not infallible: they reflect the data they were trained on and can
be confidently wrong, so human judgement stays important wherever the stakes are high.
""",
    ),
    _topic(
        "quantum_physics",
        r"\bquantum\b|\bqubits?\b",
        (
            "Quantum physics describes how matter and light behave at the smallest scales, where "
            "energy comes in discrete packets and particles also act like waves. Its predictions "
            "sound strange, superposition and entanglement among them, but experiments have "
            "confirmed them with extraordinary precision.",
        ),
        (
            "Quantum physics is the theory of how nature behaves at the scale of atoms and "
            "particles.",
            "Quantum physics is the branch of physics that describes the very small, where "
            "everyday intuition stops working.",
        ),
        """
A few ideas do most of the work:

- **Quantisation**: energy comes in discrete amounts, which is why atoms emit light only at
  specific colours.
- **Wave-particle duality**: electrons and photons behave like waves in some experiments and
  like particles in others.
- **Superposition**: a system can be in a combination of states until it is measured.
- **Entanglement**: two particles can share one state, so measuring one tells you about the
  other, however far apart they are.
- **Uncertainty**: some pairs of properties, such as position and momentum, cannot both be
  known exactly.

It sounds abstract, but it underpins transistors, lasers, LEDs and MRI scanners, so most of
modern technology relies on it.
""",
        """
Quantum computing builds on superposition and entanglement: qubits can explore many
possibilities at once, which could make problems such as simulating molecules dramatically
faster. Today's machines are still small and error-prone, though.
""",
    ),
    _topic(
        "water_cycle",
        r"\bwater cycle\b|\bhydrologic\w* cycle\b|\bevaporation\b",
        (
            "The water cycle is the continuous movement of water between the oceans, the air and "
            "the land. The sun evaporates water, the vapour condenses into clouds, falls as rain "
            "or snow, and flows back to the sea through rivers and groundwater.",
        ),
        (
            "The water cycle is the journey water makes, over and over, between the sea, the "
            "sky and the land.",
            "The water cycle describes how the same water keeps moving around the planet, "
            "driven by the sun and by gravity.",
        ),
        """
It runs in four main stages:

- **Evaporation**: the sun heats oceans, lakes and soil and turns water into vapour; plants add
  more through transpiration.
- **Condensation**: as moist air rises and cools, the vapour condenses into tiny droplets that
  form clouds.
- **Precipitation**: when the droplets grow heavy enough, they fall as rain, snow or hail.
- **Collection**: water gathers in rivers, lakes and groundwater and eventually returns to the
  sea, where the cycle starts again.
""",
        """
The cycle also moves heat around the planet and purifies water naturally, since evaporation
leaves salt and most impurities behind.
""",
    ),
    _topic(
        "photosynthesis",
        r"\bphotosynthesis\b|\bchlorophyll\b",
        (
            "Photosynthesis is the process by which plants, algae and some bacteria use sunlight "
            "to turn carbon dioxide and water into sugar, releasing oxygen. It feeds almost every "
            "food chain on Earth and produces the oxygen we breathe.",
        ),
        ("Photosynthesis is how plants make their own food from light.",),
        """
It happens mainly in the leaves, inside chloroplasts that contain the green pigment
chlorophyll. Overall, six molecules of carbon dioxide and six of water, with light, become one
molecule of glucose and six of oxygen.

- **Light-dependent reactions**: chlorophyll absorbs light, and its energy splits water,
  releasing oxygen and storing energy in the molecules ATP and NADPH.
- **Calvin cycle**: that stored energy is used to fix carbon dioxide from the air into sugar.

The plant uses the sugar for energy and as a building block for growth, and animals get theirs
by eating plants or other animals that did.
""",
        """
Over geological time, photosynthesis also changed the planet: it filled the atmosphere with
oxygen, and the remains of ancient plants became the coal, oil and gas burned today.
""",
    ),
    _topic(
        "dns",
        r"\bdns\b|\bdomain name system\b",
        (
            "DNS, the Domain Name System, is the internet's address book: it translates names "
            "like example.com into the numeric IP addresses computers use to connect. Your "
            "device asks a resolver, which finds the answer through a hierarchy of servers and "
            "caches it.",
        ),
        (
            "DNS is the system that turns a name like example.com into the address your computer "
            "actually connects to.",
        ),
        """
When you type a web address, your computer needs an IP address before it can connect. Resolving
one takes a few steps:

- **Cache**: the browser and operating system first check whether they already know the answer.
- **Resolver**: if not, they ask a recursive resolver, usually run by your internet provider or
  a public service.
- **Root and TLD servers**: the resolver asks a root server where to find `.com`, then asks the
  `.com` servers which name servers are responsible for `example.com`.
- **Authoritative server**: that server gives the final answer, which the resolver returns and
  caches for as long as the record's TTL allows.

The whole lookup usually takes a few milliseconds, and thanks to caching most lookups never
leave your network.
""",
        """
Because DNS was designed without encryption, DNSSEC adds signatures to prove answers are
genuine, and DNS over HTTPS or TLS hides your lookups from the network in between.
""",
    ),
    _topic(
        "compiler",
        r"\bcompilers?\b|\bcompilation\b|\binterpreted languages?\b",
        (
            "A compiler translates source code written by people into a lower-level form, such "
            "as machine code, that a computer can run. It works in stages: it reads and checks "
            "the program, builds an internal representation, optimises it and generates the "
            "final code.",
        ),
        (
            "A compiler is a translator from the code people write to the instructions a "
            "machine executes.",
            "Most compilers work as a pipeline, each stage turning the program into a form that "
            "is easier for the next one to handle.",
        ),
        """
The classic stages are:

- **Lexing**: the source text is split into tokens such as keywords, names, numbers and symbols.
- **Parsing**: the tokens are arranged into a syntax tree that mirrors the program's structure.
- **Semantic analysis**: names are resolved and types are checked, which is where many error
  messages come from.
- **Optimisation**: the program is rewritten into an intermediate form and improved, for
  example by removing dead code or moving work out of loops.
- **Code generation**: the result becomes machine code or bytecode for the target platform.
""",
        """
Interpreters share the front half of this pipeline but execute the program directly instead of
writing out a file, and many modern runtimes mix the two: they compile to bytecode, then compile
the hottest code to machine code just in time.
""",
    ),
    _topic(
        "recursion",
        r"\brecursi(?:on|ve)\b",
        (
            "Recursion is when a function solves a problem by calling itself on a smaller "
            "version of the same problem. Every recursive function needs a base case that stops "
            "the calls, or it would never finish.",
        ),
        (
            "Recursion means solving a problem by reducing it to a smaller copy of itself.",
            "A recursive function is one that calls itself, each time on a simpler input.",
        ),
        """
The factorial is the classic example, since n! = n × (n − 1)!:

```python
def factorial(n: int) -> int:
    if n <= 1:  # base case
        return 1
    return n * factorial(n - 1)  # recursive case


print(factorial(5))  # 120
```

- **Base case**: the smallest input, answered directly.
- **Recursive case**: the problem is reduced and the function calls itself.
- **Call stack**: each call waits for the one it made, so very deep recursion can overflow the
  stack; Python stops at about 1,000 levels by default.
""",
        """
Recursion shines on naturally nested data, such as trees, folders or JSON documents, where a
loop would need an explicit stack to keep track of where it is.
""",
    ),
)

# --- short facts ------------------------------------------------------------------------------

# Country as asked (lower case) -> (its name in a sentence, its capital).
CAPITALS: dict[str, tuple[str, str]] = {
    key: (name, city)
    for keys, name, city in (
        ("france", "France", "Paris"), ("germany", "Germany", "Berlin"),
        ("italy", "Italy", "Rome"), ("spain", "Spain", "Madrid"),
        ("portugal", "Portugal", "Lisbon"), ("ireland", "Ireland", "Dublin"),
        ("united kingdom|uk|britain|great britain|england", "the United Kingdom", "London"),
        ("netherlands|holland", "the Netherlands", "Amsterdam"),
        ("belgium", "Belgium", "Brussels"), ("switzerland", "Switzerland", "Bern"),
        ("austria", "Austria", "Vienna"), ("poland", "Poland", "Warsaw"),
        ("sweden", "Sweden", "Stockholm"), ("norway", "Norway", "Oslo"),
        ("denmark", "Denmark", "Copenhagen"), ("finland", "Finland", "Helsinki"),
        ("greece", "Greece", "Athens"), ("russia", "Russia", "Moscow"),
        ("ukraine", "Ukraine", "Kyiv"), ("turkey|türkiye", "Türkiye", "Ankara"),
        ("egypt", "Egypt", "Cairo"), ("nigeria", "Nigeria", "Abuja"),
        ("kenya", "Kenya", "Nairobi"), ("morocco", "Morocco", "Rabat"),
        ("united states|us|usa|america|united states of america", "the United States",
         "Washington, D.C."),
        ("canada", "Canada", "Ottawa"), ("mexico", "Mexico", "Mexico City"),
        ("brazil", "Brazil", "Brasília"), ("argentina", "Argentina", "Buenos Aires"),
        ("japan", "Japan", "Tokyo"), ("china", "China", "Beijing"),
        ("india", "India", "New Delhi"), ("south korea", "South Korea", "Seoul"),
        ("australia", "Australia", "Canberra"), ("new zealand", "New Zealand", "Wellington"),
        ("peru", "Peru", "Lima"), ("chile", "Chile", "Santiago"),
        ("colombia", "Colombia", "Bogotá"), ("cuba", "Cuba", "Havana"),
        ("czech republic|czechia", "Czechia", "Prague"), ("hungary", "Hungary", "Budapest"),
        ("romania", "Romania", "Bucharest"), ("iceland", "Iceland", "Reykjavík"),
        ("scotland", "Scotland", "Edinburgh"), ("ethiopia", "Ethiopia", "Addis Ababa"),
        ("ghana", "Ghana", "Accra"), ("thailand", "Thailand", "Bangkok"),
        ("vietnam", "Vietnam", "Hanoi"), ("indonesia", "Indonesia", "Jakarta"),
        ("philippines|the philippines", "the Philippines", "Manila"),
        ("pakistan", "Pakistan", "Islamabad"), ("saudi arabia", "Saudi Arabia", "Riyadh"),
    )
    for key in keys.split("|")
}  # fmt: skip

# Questions with one well-known answer: pattern searched in the lower-cased prompt.
FACTS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), answer)
    for pattern, answer in (
        (r"largest planet|biggest planet", "**Jupiter** is the largest planet."),
        (r"smallest planet", "**Mercury** is the smallest planet."),
        (r"how many planets", "There are **eight** planets in the Solar System."),
        (r"how many continents", "There are **seven** continents by the most common count."),
        (r"speed of light", "Light travels at **299,792,458 m/s** in a vacuum."),
        (r"speed of sound", "Sound travels at about **343 m/s** in air at 20 °C."),
        (r"boiling point of water|water boil", "Water boils at **100 °C** (212 °F) at sea level."),
        (r"freezing point of water|water freeze", "Water freezes at **0 °C** (32 °F)."),
        (r"tallest mountain|highest mountain", "**Mount Everest**, at 8,849 m above sea level."),
        (r"largest ocean|biggest ocean", "The **Pacific Ocean** is the largest."),
        (r"largest country|biggest country", "**Russia** is the largest country by area."),
        (r"longest river", "The **Nile** is usually given as the longest, at about 6,650 km, "
         "though some measurements put the Amazon ahead."),
        (r"largest animal|biggest animal", "The **blue whale** is the largest animal ever known."),
        (r"wrote (?:romeo|hamlet|macbeth|othello|king lear)", "**William Shakespeare** wrote it."),
        (r"painted the mona lisa", "**Leonardo da Vinci** painted the Mona Lisa."),
        (r"chemical symbol for gold|symbol of gold", "The chemical symbol for gold is **Au**."),
        (r"formula (?:for|of) water|chemical formula.*water", "Water is **H₂O**."),
        (r"first (?:person|man|human) (?:on|to walk on) the moon",
         "**Neil Armstrong**, on 20 July 1969, during the Apollo 11 mission."),
        (r"(?:when|what year) did (?:world war ii|world war 2|ww2|wwii) end",
         "World War II ended in **1945**."),
        (r"how many bones", "An adult human has **206** bones."),
        (r"how many days in a leap year", "A leap year has **366** days."),
        (r"value of pi|what is pi\b", "Pi is approximately **3.14159**."),
        (r"theory of relativity|who developed relativity", "**Albert Einstein** developed it."),
        (r"what(?:'s| is) a haiku", "A haiku is a short Japanese poem of three lines, with five, "
         "seven and five syllables, usually about nature or a season."),
        (r"meaning of life", "**42**, according to *The Hitchhiker's Guide to the Galaxy*. "
         "Philosophers mostly agree it is the meaning you give it, through the people and the "
         "work you care about."),
    )
)  # fmt: skip

# For short questions the demo has no answer for: plausible, and inventing nothing.
UNKNOWN = (
    "I'd rather not guess at that one: I don't have enough context to answer it reliably. If "
    "you share the details, or the text or code it's about, I'll give you a short, direct "
    "answer.",
    "I can't answer that with confidence from here, and I won't make up a name, date or figure. "
    "A reliable, up-to-date source will settle it, and if you paste what you find, I can help "
    "you make sense of it.",
)
SENSITIVE_RE = re.compile(
    r"\b(?:dose|dosage|medic\w*|symptoms?|diagnos\w*|pregnan\w*|overdose|legal|lawyer|sue|"
    r"lawsuit|invest\w*|stocks?|tax(?:es)?|crypto\w*)\b"
)
SENSITIVE = (
    "For something like this, the safest answer comes from a qualified professional who knows "
    "your situation: a doctor or pharmacist for health questions, a lawyer for legal ones, an "
    "adviser for money matters. I can help you prepare the questions to ask them.",
)

# --- small talk -------------------------------------------------------------------------------

GREETINGS = (
    "Hello! How can I help you today?",
    "Hi there! What would you like to talk about?",
    "Hey! Ask me anything: a question, some code, a short poem.",
)
HOW_ARE_YOU = (
    "I'm doing well, thanks for asking! What can I help you with?",
    "All good on my side, and ready to help. What's on your mind?",
)
THANKS = (
    "You're welcome! Let me know if there's anything else.",
    "Glad I could help. Anything else on your mind?",
    "Happy to help!",
)
GOODBYES = (
    "Goodbye! Come back any time.",
    "Take care, and see you next time!",
)
HELP = (
    "Of course! What would you like help with?",
    "Sure, I'm here to help. What are you working on?",
)
IDENTITY = (
    "I'm an AI assistant. In RouteChat each of your messages is answered by the model Eden AI's "
    "router picks for it, and the badge under the reply shows which one it was. I can explain "
    "things, write and review code, draft text or just answer quick questions.",
    "I'm an AI assistant, here to answer questions, explain ideas, write code and help with "
    "drafts. Which model answers depends on the router: the badge under each reply names it.",
)
JOKES = (
    "Why do programmers prefer dark mode?\n\nBecause light attracts bugs.",
    'A SQL query walks into a bar, goes up to two tables and asks: "Can I join you?"',
    "Why don't scientists trust atoms?\n\nBecause they make up everything.",
    'I told my computer I needed a break, and it said: "No problem, I\'ll go to sleep."',
    "Why did the scarecrow win an award?\n\nBecause he was outstanding in his field.",
)

# --- conversation -----------------------------------------------------------------------------

# Vague follow-ups ("tell me more", "why?") in a conversation: the demo does not see the earlier
# turns, so it answers the way a careful assistant does when a follow-up could mean several
# things.
FOLLOW_UPS: dict[str, tuple[str, ...]] = {
    "more": (
        "Happy to go further. Which part would you like me to expand on: the main idea, a "
        "worked example, or how it applies to your own situation?",
        "Sure. The part that usually rewards a closer look is the trade-off underneath: what "
        "you gain, what it costs, and when the balance tips the other way. Tell me which point "
        "you'd like unpacked and I'll go step by step.",
    ),
    "example": (
        "Of course. To make the example useful rather than generic, which setting should it "
        "come from: work, study, or something you're dealing with right now?",
        "Good idea, an example makes it much clearer. Give me a setting you care about, and "
        "I'll walk through it step by step with concrete numbers.",
    ),
    "simpler": (
        "Sure, in plain words: keep the one main idea in mind and set the details aside; they "
        "only matter once the core is clear. Point me to the part that still feels fuzzy and "
        "I'll explain it another way.",
    ),
    "why": (
        "Mostly because of trade-offs: each option gives up something to gain something else, "
        "and which one is right depends on what matters most to you. If you tell me your "
        "priorities, I can say which way I'd lean and why.",
    ),
}
CLOSERS = (
    "Would you like me to go deeper into any of these points?",
    "Happy to give a concrete example if that would help.",
    "Let me know if you'd like a shorter summary or more detail on one part.",
)

# After a poem or story, for the models that add a line.
CREATIVE_CLOSERS = (
    "Want another one in a different mood?",
    "I can make it longer, funnier or more serious if you like.",
)

# The answer for anything no entry above covers: complete, and true whatever was asked.
_GENERAL = (
    """There are a few angles worth considering here.

- **The goal**: what exactly needs to be decided or understood, and what would a good answer let
  you do?
- **The constraints**: time, budget and the people involved usually narrow the options quickly.
- **The options**: most situations have two or three realistic paths; listing their trade-offs
  side by side makes the choice clearer.
- **The next step**: pick the smallest action that tests your thinking, then adjust.

If you tell me a bit more about your situation, I can make this much more specific.""",
    """The honest answer is that it depends on a few things, so here is how I would work through
it.

Start with what you already know for certain, and separate it from what you are assuming. Then
look for the one or two facts that would change your mind; those are worth checking first.

- **Keep it concrete**: examples and numbers beat general impressions.
- **Compare alternatives**: even a rough side-by-side view reveals a lot.
- **Decide what "good enough" means**: it keeps you from polishing forever.

Share a few details and I'll tailor this to your case.""",
    """Here's a practical way to approach it.

1. **Clarify the question.** Write it down in one sentence; vague questions get vague answers.
2. **Gather the essentials.** Two or three reliable sources are worth more than ten opinions.
3. **Weigh the trade-offs.** Note what each option costs and what it gives you.
4. **Act and review.** Make a small, reversible decision first, and learn from the result.

If you'd like, tell me where you are in this process and I'll help with the next step.""",
)
GENERAL = tuple(map(unwrap, _GENERAL))
# For long requests (pasted text, detailed briefs): useful whatever the text was.
_LONG = (
    """Thanks for the detailed context, it helps. Here's my read, with suggestions:

- **Lead with the main point**: the key message is easier to act on when it comes first,
  with the background after it.
- **Tighten the middle**: a few passages make the same point twice; cutting them would make the
  argument faster to follow.
- **Make it concrete**: one real example or number would do more than another paragraph of
  explanation.
- **End with a clear next step**: say what you want the reader to do or decide.

If you tell me who the audience is, I can suggest specific rewrites.""",
    """That's a lot of useful material. A few observations:

- **Structure**: grouping related points under short headings would make it easier to scan.
- **Priorities**: not every point carries the same weight; ranking them would show what matters
  most.
- **Open questions**: some assumptions are implicit; stating them would make the reasoning
  easier to check.

Want me to turn this into a short summary, a checklist or a cleaner draft?""",
)
LONG = tuple(map(unwrap, _LONG))
EMAILS = (
    """Here's a draft you can adapt:

**Subject:** Quick request

Hi [Name],

I hope you're doing well. I'm writing to ask whether [your request] would be possible by
[date]. It would help me [reason, in one sentence].

I'm happy to discuss it or adjust the timing if that works better for you.

Thanks in advance,
[Your name]""",
    """Here's a short, friendly version:

**Subject:** Following up

Hi [Name],

Thanks again for your time last week. I wanted to follow up on [topic] and check whether you
need anything else from me to move forward.

Looking forward to hearing from you.

Best regards,
[Your name]""",
)

# --- creative writing -------------------------------------------------------------------------

# Themes for poems and stories, by keyword; "" is the theme for anything else.
THEMES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (theme, re.compile(pattern))
    for theme, pattern in (
        ("autumn", r"\bautumn\b|\bfall\b|\bleaves\b|\boctober\b"),
        ("winter", r"\bwinter\b|\bsnow\w*\b|\bfrost\b"),
        ("spring", r"\bspring\b|\bblossom\w*\b|\bflowers?\b"),
        ("summer", r"\bsummer\b|\bbeach\b|\bsun\b|\bsunshine\b"),
        ("sea", r"\bsea\b|\bocean\b|\bwaves?\b|\btides?\b"),
        ("night", r"\bnight\b|\bmoon\b|\bstars?\b|\bdreams?\b"),
        ("code", r"\bcode\b|\bcoding\b|\bprogramm\w*|\bsoftware\b|\bbugs?\b|\bcomputers?\b|"
         r"\bpython\b|\brust\b|\bjavascript\b|"
         r"\bai\b|\brobots?\b|\brout\w*\b"),
        ("dragon", r"\bdragons?\b|\bknights?\b|\bcastles?\b|\bmagic\w*\b|\bwizards?\b"),
        ("space", r"\bspace\b|\bplanets?\b|\bastronauts?\b|\bmars\b|\brockets?\b"),
        ("cat", r"\bcats?\b|\bkittens?\b|\bdogs?\b|\bpets?\b"),
    )
)  # fmt: skip

HAIKU: dict[str, tuple[str, ...]] = {
    "autumn": (
        "Maple leaves let go\nthe river carries their red\nslowly out of sight",
        "Cold wind through the oaks\na squirrel buries one more\nsecret for the snow",
    ),
    "winter": (
        "First snow on the roofs\nthe whole street has gone quiet\nfootprints lead one way",
        "Breath hangs in the air\nthe kettle sings on the stove\nfrost ferns on the glass",
    ),
    "spring": (
        "Rain on new green shoots\nthe cherry branch holds its breath\nthen opens in pink",
        "Morning mud and song\na robin tugs at the earth\nthe garden wakes up",
    ),
    "summer": (
        "Long light on the field\ncicadas drone in the heat\na slow peach ripens",
        "Salt skin, sandy feet\nthe tide erases our names\nthe sun does not mind",
    ),
    "sea": (
        "Waves fold into foam\na gull hangs still on the wind\nthen drops to the blue",
        "The tide goes out far\nleaving small pools of bright sky\ncrabs keep their own time",
    ),
    "night": (
        "Moon above the pines\nthe lake keeps a second one\ntrembling in the dark",
        "City lights go out\none by one the stars come home\nthe night holds its breath",
    ),
    "code": (
        "Tests pass, green at last\nthe bug was one missing line\ncoffee has gone cold",
        "Late-night terminal\na cursor blinks, patient, calm\nthen the build goes green",
    ),
    "": (
        "Small stones in a stream\nthe water goes around them\nand both are content",
        "A door left ajar\nthe smell of bread from next door\nsomeone is at home",
    ),
}

POEMS: dict[str, str] = {
    "autumn": """**October Light**

The maples spend their gold at last,
the swallows trace the way they passed,
and every lane is softly lit
by leaves that finally let go of it.

The evenings come a little soon,
a woodsmoke haze around the moon;
the year sets down the things it made
and walks on slowly through the shade.""",
    "sea": """**Tide Line**

The sea comes in with nothing planned,
it writes a long line on the sand,
then changes its mind, as oceans do,
and takes the words back into blue.

I stand where foam and pebbles meet
and let it rinse my careful feet;
whatever worry I brought to shore,
the water carries out once more.""",
    "night": """**After Midnight**

The house is still, the streetlights hum,
the hours are slow, the stars have come;
one window, lamplit, warm and late,
keeps someone company while they wait.

The clocks agree on nothing now,
the moon leans low above the bough,
and all the noise the day has kept
lies folded where the children slept.""",
    "code": """**Ode to a Passing Build**

I wrote a function late at night,
convinced that this time it was right;
the compiler, patient as a saint,
returned a list of my complaints.

I traced each error, line by line,
a missing bracket, one stray sign,
until at last the screen turned green,
the finest sight I've ever seen.""",
    "": """**Small Things**

A kettle's sigh, a neighbour's wave,
the extra minute that we save,
the bread still warm, the open door:
we hardly see them, yet they're more.

For lives are built of days like these,
of quiet, plain certainties,
and if you ask me what is true,
it's small things, done the whole way through.""",
}

LIMERICKS = (
    """A router, when asked to decide
which model should take it in stride,
just looked at the cost,
made sure nothing was lost,
and picked the best one for the ride.""",
    """A cat with a taste for the sun
would nap until napping was done;
she'd stretch and she'd yawn,
move six inches on,
then start it again, just for fun.""",
)

_STORIES: dict[str, str] = {
    "code": """**The Robot Who Collected Sounds**

Unit 7 had been built to sweep the floors of the old train station, and for eleven years it did
exactly that. Then one morning a child dropped a music box, and the tinny little melody that
spilled out stopped Unit 7 in the middle of its route.

It recorded the tune. The next day it recorded the hiss of the coffee machine, the squeal of
brakes on platform 3 and the station master humming while he worked. By winter it had three
thousand sounds, filed neatly by mood.

When the station was about to close for good, the last passengers heard something strange: a
song made of everything the building had ever been, played from a floor-sweeping robot's tiny
speaker. Nobody remembers the timetable any more, but people still talk about the song.""",
    "dragon": """**The Dragon Who Couldn't Breathe Fire**

Ember was the smallest dragon on the mountain, and the only one who couldn't breathe fire. Her
brothers lit torches from across the valley; when she tried, she produced a warm puff of air
and, once, a single embarrassed spark.

So Ember learned other things. She learned which winds carried rain, where the goats sheltered
in storms, and how to warm a frozen shepherd with nothing but her breath and patience.

The winter the great frost came, the fire-breathers melted the snow and flooded the village
below. Ember flew down instead and, one house at a time, breathed gently on the frozen pipes
until they ran again. The villagers never learned her name, but every spring they leave a
basket of warm bread at the foot of the mountain.""",
    "space": """**Last Light on Kepler Station**

Mira had been alone on the station for forty days when the message arrived: a single line of
static that repeated every nine minutes, from a direction where there was nothing at all.

She checked the instruments twice, then a third time, and finally did what the manual said
never to do. She answered, not with data, but with the only thing she could think of: a recording
of her grandmother's laugh.

The static stopped. For a long moment the station was silent. Then, faint and unmistakable,
the signal came back changed, nine minutes of something that sounded, impossibly, like
laughter.""",
    "cat": """**The Cat Who Ran the Bookshop**

Nobody hired Marmalade. He simply arrived one rainy Tuesday, inspected the shelves and settled
on the poetry section as if he had signed a lease.

Within a month, he had opinions. He slept on the books he approved of and knocked the others
gently to the floor. Customers began to follow his advice, and, strangely, he was never wrong.

When the shop nearly closed, it was Marmalade's recommendations, posted on a little card by the
till, that brought people back. The owner still says she runs the place. Everyone knows better.""",
    "": """**The Lighthouse Keeper's Letter**

Every evening for thirty years, Tomas lit the lamp at the edge of the map and wrote a letter he
never sent. He wrote about the weather, the ships and the gulls that argued on the railing.

When the lighthouse was finally automated, the inspector who came to close it found the
letters stacked in a sea chest, thousands of them, all addressed to "whoever comes next".

She read one, then another, and missed the last boat back. By morning she had decided to stay
a while, and that evening, out of habit she couldn't explain, she sat down and began to write.""",
}
STORIES = {theme: unwrap(story) for theme, story in _STORIES.items()}
