"""Curated code for the emulator's demo replies: complete, runnable programs chosen by task.

A code prompt is answered with one of these, never with code assembled from the prompt's words
(a function named after a fragment of the question reads as word salad). Each snippet is a
whole, correct program or function with a short demonstration whose printed output is in its
comments; `points` explain it the way an assistant would. Tasks cover what people try first
(reverse a string, FizzBuzz, a sort, a SQL report, a backup script ...); anything else gets
the general example, introduced as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from desktop_app.emulator.answers import unwrap


@dataclass(frozen=True, slots=True)
class Snippet:
    code: str
    points: tuple[str, ...]  # Markdown bullet texts, "**Lead**: explanation."


@dataclass(frozen=True, slots=True)
class Task:
    key: str
    pattern: re.Pattern[str]  # searched in the lower-cased prompt
    intros: tuple[str, ...]  # one line before the code, whatever the language
    snippets: dict[str, Snippet] = field(default_factory=dict)
    extra: str = ""  # a closing paragraph for the more detailed models


def _task(
    key: str, pattern: str, intros: tuple[str, ...], extra: str = "", **snippets: Snippet
) -> Task:
    return Task(key, re.compile(pattern), intros, dict(snippets), extra)


# The languages a prompt can ask for, tried in order (TypeScript before JavaScript before
# Java, "shell" is Bash): fence tag, display name, pattern searched in the lower-cased prompt.
LANGUAGES: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (tag, name, re.compile(pattern))
    for tag, name, pattern in (
        ("sql", "SQL", r"\bsql\b|\bquery\b|\bpostgres|\bsqlite\b|\bmysql\b"),
        ("typescript", "TypeScript", r"\btypescript\b|\bts\b"),
        ("javascript", "JavaScript", r"\bjavascript\b|\bjs\b|\bnode(?:\.js)?\b|\breact\b"),
        ("rust", "Rust", r"\brust\b|\bcargo\b"),
        ("bash", "Bash", r"\bbash\b|\bshell\b|\bzsh\b|\bsh script\b"),
        ("python", "Python", r"\bpython\b|\bpandas\b|\bdjango\b|\bflask\b"),
        ("go", "Go", r"\bgolang\b|\bin go\b|\bgo (?:function|program|code)\b"),
        ("java", "Java", r"\bjava\b"),
        ("cpp", "C++", r"c\+\+|\bcpp\b"),
        ("csharp", "C#", r"c#|\bcsharp\b|\.net\b"),
        ("c", "C", r"\bin c\b|\bc (?:function|program|code)\b"),
        ("ruby", "Ruby", r"\bruby\b|\brails\b"),
        ("php", "PHP", r"\bphp\b"),
        ("kotlin", "Kotlin", r"\bkotlin\b"),
        ("swift", "Swift", r"\bswift\b"),
    )
)

# --- general purpose tasks ------------------------------------------------------------------

_REVERSE = _task(
    "reverse",
    r"revers\w*\s+(?:a\s+|the\s+|an?\s+input\s+)?(?:string|word|text|sentence)|"
    r"\bstrings?\b.*\brevers",
    (
        "Here's a function that reverses a string:",
        "Reversing a string takes only a line or two:",
        "Here's the simplest correct way to reverse a string:",
    ),
    "For most text this is all you need. If your strings contain emoji built from several code "
    "points or letters with combining accents, reverse grapheme clusters instead, with a "
    "library that understands them, so those characters stay intact.",
    python=Snippet(
        r'''def reverse_string(text: str) -> str:
    """Return the characters of text in reverse order."""
    return text[::-1]


print(reverse_string("hello"))  # olleh
print(reverse_string("RouteChat"))  # tahCetuoR''',
        (
            "**Slicing**: `text[::-1]` walks the string from the end to the start with a step "
            "of -1.",
            "**New string**: Python strings are immutable, so the original is left untouched.",
            "**Speed**: slicing runs in C and is faster than building the result in a loop.",
        ),
    ),
    javascript=Snippet(
        r"""function reverseString(text) {
  // Spreading splits by code point, so most emoji survive the reversal.
  return [...text].reverse().join("");
}

console.log(reverseString("hello")); // olleh
console.log(reverseString("RouteChat")); // tahCetuoR""",
        (
            "**Spread into an array**: `[...text]` splits the string into characters, which "
            'unlike `split("")` keeps surrogate pairs together.',
            "**Reverse and join**: arrays can be reversed in place, then joined back into a "
            "string.",
        ),
    ),
    rust=Snippet(
        r"""fn reverse_string(text: &str) -> String {
    text.chars().rev().collect()
}

fn main() {
    println!("{}", reverse_string("hello")); // olleh
    println!("{}", reverse_string("RouteChat")); // tahCetuoR
}""",
        (
            "**`chars()`**: iterates over Unicode scalar values, so multi-byte characters are "
            "never split.",
            "**`rev()` and `collect()`**: reverse the iterator and gather it into a new `String`.",
            "**Borrowing**: the function takes `&str`, so it works with string literals and "
            "`String` values alike.",
        ),
    ),
    bash=Snippet(
        r"""#!/usr/bin/env bash
set -euo pipefail

reverse() {
  local text=$1 reversed="" i
  for (( i=${#text}-1; i>=0; i-- )); do
    reversed+=${text:i:1}
  done
  printf '%s\n' "$reversed"
}

reverse "hello"   # olleh""",
        (
            "**Substring expansion**: `${text:i:1}` takes one character at position `i`.",
            '**Shortcut**: on most systems `rev <<< "hello"` does the same in one command.',
        ),
    ),
)

_MERGE_LISTS = _task(
    "merge_lists",
    r"\bmerg\w*\b(?!\s+sort).*\b(?:lists?|arrays?|vectors?|sequences?)\b|"
    r"\b(?:lists?|arrays?)\b.*\bmerg\w*\b(?!\s+sort)",
    (
        "Here's a function that merges two sorted lists in a single pass:",
        "When both lists are sorted, you can merge them in linear time with two pointers:",
        "The classic approach walks both lists at once and always takes the smaller head:",
    ),
    "This runs in O(n + m) time, where n and m are the two lengths, and uses O(n + m) extra "
    "space for the result. It is exactly the merge step of merge sort, and it only works if "
    "both inputs are sorted to begin with.",
    python=Snippet(
        r'''def merge_sorted(left: list[int], right: list[int]) -> list[int]:
    """Merge two already sorted lists into one sorted list."""
    merged: list[int] = []
    i = j = 0
    while i < len(left) and j < len(right):
        if left[i] <= right[j]:
            merged.append(left[i])
            i += 1
        else:
            merged.append(right[j])
            j += 1
    merged.extend(left[i:])
    merged.extend(right[j:])
    return merged


print(merge_sorted([1, 4, 9], [2, 3, 10]))  # [1, 2, 3, 4, 9, 10]''',
        (
            "**Two pointers**: `i` and `j` track the next unused item of each list.",
            "**Take the smaller head**: using `<=` keeps equal items in their original order, "
            "so the merge is stable.",
            "**Leftovers**: once one list runs out, the rest of the other is already sorted "
            "and is appended as is.",
            "**Standard library**: `heapq.merge(left, right)` does the same lazily for any "
            "number of sorted inputs.",
            "**Unsorted inputs**: `sorted(left + right)` is all you need.",
        ),
    ),
    javascript=Snippet(
        r"""function mergeSorted(left, right) {
  const merged = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) {
    if (left[i] <= right[j]) {
      merged.push(left[i++]);
    } else {
      merged.push(right[j++]);
    }
  }
  return merged.concat(left.slice(i), right.slice(j));
}

console.log(mergeSorted([1, 4, 9], [2, 3, 10]).join(", ")); // 1, 2, 3, 4, 9, 10""",
        (
            "**Two indexes**: `i` and `j` advance through each array exactly once.",
            "**Stable**: `<=` takes from the left array first when values are equal.",
            "**Leftovers**: `concat` appends whatever remains of either array.",
        ),
    ),
    rust=Snippet(
        r"""fn merge_sorted(left: &[i32], right: &[i32]) -> Vec<i32> {
    let mut merged = Vec::with_capacity(left.len() + right.len());
    let (mut i, mut j) = (0, 0);
    while i < left.len() && j < right.len() {
        if left[i] <= right[j] {
            merged.push(left[i]);
            i += 1;
        } else {
            merged.push(right[j]);
            j += 1;
        }
    }
    merged.extend_from_slice(&left[i..]);
    merged.extend_from_slice(&right[j..]);
    merged
}

fn main() {
    println!("{:?}", merge_sorted(&[1, 4, 9], &[2, 3, 10])); // [1, 2, 3, 4, 9, 10]
}""",
        (
            "**Slices in, vector out**: the inputs are borrowed, and the result is allocated "
            "once with the right capacity.",
            "**Two indexes**: each element is looked at exactly once.",
            "**`extend_from_slice`**: copies the remaining tail of either input.",
        ),
    ),
)

_FIBONACCI = _task(
    "fibonacci",
    r"fibonacci|\bfib\b",
    (
        "Here's an iterative Fibonacci function:",
        "An iterative version is the simplest correct way to generate Fibonacci numbers:",
        "This builds the sequence with a loop rather than recursion, so it stays fast:",
    ),
    "The loop takes O(n) time. The naive recursive version, `fib(n - 1) + fib(n - 2)`, looks "
    "elegant but recomputes the same values again and again and takes exponential time.",
    python=Snippet(
        r'''def fibonacci(n: int) -> list[int]:
    """Return the first n Fibonacci numbers."""
    if n < 0:
        raise ValueError("n must not be negative")
    numbers: list[int] = []
    a, b = 0, 1
    for _ in range(n):
        numbers.append(a)
        a, b = b, a + b
    return numbers


print(fibonacci(10))  # [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]''',
        (
            "**Tuple assignment**: `a, b = b, a + b` updates both values at once, with no "
            "temporary variable.",
            "**Big numbers**: Python integers grow as needed, so `fibonacci(500)` just works.",
            "**Validation**: a negative count raises a clear error instead of returning nonsense.",
        ),
    ),
    javascript=Snippet(
        r"""function fibonacci(n) {
  const numbers = [];
  let [a, b] = [0, 1];
  for (let k = 0; k < n; k++) {
    numbers.push(a);
    [a, b] = [b, a + b];
  }
  return numbers;
}

console.log(fibonacci(10).join(", ")); // 0, 1, 1, 2, 3, 5, 8, 13, 21, 34""",
        (
            "**Destructuring**: `[a, b] = [b, a + b]` advances the pair in one step.",
            "**Precision**: numbers above 2^53 lose precision; switch to `BigInt` (`0n`, `1n`) "
            "beyond the 78th value.",
        ),
    ),
    rust=Snippet(
        r"""fn fibonacci(n: usize) -> Vec<u64> {
    let mut numbers = Vec::with_capacity(n);
    let (mut a, mut b) = (0u64, 1u64);
    for _ in 0..n {
        numbers.push(a);
        (a, b) = (b, a + b);
    }
    numbers
}

fn main() {
    println!("{:?}", fibonacci(10)); // [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]
}""",
        (
            "**Destructuring assignment**: `(a, b) = (b, a + b)` advances the pair in one "
            "statement.",
            "**Limits**: `u64` overflows after about 90 values; use `u128` or `checked_add` "
            "if you need more.",
        ),
    ),
)

_FACTORIAL = _task(
    "factorial",
    r"factorial",
    (
        "Here's a factorial function with input validation:",
        "A simple loop computes the factorial reliably:",
        "Here's a straightforward factorial implementation:",
    ),
    "A recursive version, `n * factorial(n - 1)`, is the textbook definition, but a loop avoids "
    "recursion limits for large inputs. Remember that factorials grow very fast: 20! already "
    "has 19 digits.",
    python=Snippet(
        r'''def factorial(n: int) -> int:
    """Return n! for a non-negative integer n."""
    if n < 0:
        raise ValueError("factorial is not defined for negative numbers")
    result = 1
    for k in range(2, n + 1):
        result *= k
    return result


print(factorial(5))  # 120
print(factorial(0))  # 1''',
        (
            "**Base case**: the loop does nothing for 0 and 1, so both return 1.",
            "**Validation**: negative input raises a `ValueError` with a clear message.",
            "**Standard library**: `math.factorial` does the same, faster, for real code.",
        ),
    ),
    javascript=Snippet(
        r"""function factorial(n) {
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError("factorial needs a non-negative integer");
  }
  let result = 1;
  for (let k = 2; k <= n; k++) {
    result *= k;
  }
  return result;
}

console.log(factorial(5)); // 120
console.log(factorial(0)); // 1""",
        (
            "**Validation**: non-integers and negative numbers throw a `RangeError`.",
            "**Precision**: results are exact up to 18!; use `BigInt` for larger values.",
        ),
    ),
    rust=Snippet(
        r"""fn factorial(n: u64) -> u64 {
    (1..=n).product()
}

fn main() {
    println!("{}", factorial(5)); // 120
    println!("{}", factorial(0)); // 1
}""",
        (
            "**Iterator product**: `(1..=n).product()` multiplies the range, and an empty "
            "range gives 1.",
            "**Unsigned input**: `u64` rules out negative numbers at compile time.",
            "**Overflow**: 21! no longer fits in `u64`; use `u128` or `checked_mul` if needed.",
        ),
    ),
)

_PALINDROME = _task(
    "palindrome",
    r"palindrom",
    (
        "Here's a palindrome check that ignores case, spaces and punctuation:",
        "To test for a palindrome, normalise the text first, then compare it with its reverse:",
    ),
    'Normalising first matters: without it, phrases such as "A man, a plan, a canal: Panama" '
    "would fail because of the spaces, capitals and punctuation.",
    python=Snippet(
        r'''def is_palindrome(text: str) -> bool:
    """True if text reads the same backwards, ignoring case, spaces and punctuation."""
    letters = [ch.lower() for ch in text if ch.isalnum()]
    return letters == letters[::-1]


print(is_palindrome("A man, a plan, a canal: Panama"))  # True
print(is_palindrome("RouteChat"))  # False''',
        (
            "**Normalise**: keep only letters and digits, in lower case.",
            "**Compare with the reverse**: `letters[::-1]` is the same list backwards.",
        ),
    ),
    javascript=Snippet(
        r"""function isPalindrome(text) {
  const letters = text.toLowerCase().replace(/[^a-z0-9]/g, "");
  return letters === [...letters].reverse().join("");
}

console.log(isPalindrome("A man, a plan, a canal: Panama")); // true
console.log(isPalindrome("RouteChat")); // false""",
        (
            "**Normalise**: the regular expression drops everything but letters and digits.",
            "**Compare with the reverse**: the string is reversed through an array.",
        ),
    ),
    rust=Snippet(
        r"""fn is_palindrome(text: &str) -> bool {
    let letters: Vec<char> = text
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    letters.iter().eq(letters.iter().rev())
}

fn main() {
    println!("{}", is_palindrome("A man, a plan, a canal: Panama")); // true
    println!("{}", is_palindrome("RouteChat")); // false
}""",
        (
            "**Normalise**: keep alphanumeric characters and lower-case them.",
            "**Iterator comparison**: `eq` compares the sequence with its reverse without "
            "building a second vector.",
        ),
    ),
)

_SORT = _task(
    "sort",
    r"\bsort\w*\b|\bquick ?sort\b|\bbubble ?sort\b",
    (
        "Here's merge sort, a classic sorting algorithm that is both fast and stable:",
        "A clean way to sort is merge sort: split the list in half, sort each half, then merge:",
    ),
    "Merge sort always takes O(n log n) time, even on unlucky inputs where quicksort slows "
    "down. In real code, prefer the built-in sort, which is a tuned hybrid of the same ideas; "
    "writing your own is mostly for learning.",
    python=Snippet(
        r'''def merge_sort(items: list[int]) -> list[int]:
    """Return a new list with the items in ascending order."""
    if len(items) <= 1:
        return items[:]
    middle = len(items) // 2
    left, right = merge_sort(items[:middle]), merge_sort(items[middle:])
    merged: list[int] = []
    i = j = 0
    while i < len(left) and j < len(right):
        if left[i] <= right[j]:
            merged.append(left[i])
            i += 1
        else:
            merged.append(right[j])
            j += 1
    return merged + left[i:] + right[j:]


print(merge_sort([5, 2, 9, 1, 5, 6]))  # [1, 2, 5, 5, 6, 9]''',
        (
            "**Divide**: the list is split in half until the pieces have one item each.",
            "**Merge**: two sorted halves are combined by repeatedly taking the smaller head.",
            "**Stable**: `<=` keeps equal items in their original order.",
            "**In practice**: `sorted(items)` or `items.sort()` is faster and just as correct.",
        ),
    ),
    javascript=Snippet(
        r"""function mergeSort(items) {
  if (items.length <= 1) return items.slice();
  const middle = Math.floor(items.length / 2);
  const left = mergeSort(items.slice(0, middle));
  const right = mergeSort(items.slice(middle));
  const merged = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) {
    merged.push(left[i] <= right[j] ? left[i++] : right[j++]);
  }
  return merged.concat(left.slice(i), right.slice(j));
}

console.log(mergeSort([5, 2, 9, 1, 5, 6]).join(", ")); // 1, 2, 5, 5, 6, 9""",
        (
            "**Recursion**: each half is sorted by the same function.",
            "**No mutation**: `slice` copies, so the caller's array is left as it was.",
            "**Built-in alternative**: `items.sort((a, b) => a - b)`; without the comparator, "
            "JavaScript sorts numbers as strings.",
        ),
    ),
    rust=Snippet(
        r"""fn merge_sort(items: &[i32]) -> Vec<i32> {
    if items.len() <= 1 {
        return items.to_vec();
    }
    let (left, right) = items.split_at(items.len() / 2);
    let (left, right) = (merge_sort(left), merge_sort(right));
    let mut merged = Vec::with_capacity(items.len());
    let (mut i, mut j) = (0, 0);
    while i < left.len() && j < right.len() {
        if left[i] <= right[j] {
            merged.push(left[i]);
            i += 1;
        } else {
            merged.push(right[j]);
            j += 1;
        }
    }
    merged.extend_from_slice(&left[i..]);
    merged.extend_from_slice(&right[j..]);
    merged
}

fn main() {
    println!("{:?}", merge_sort(&[5, 2, 9, 1, 5, 6])); // [1, 2, 5, 5, 6, 9]
}""",
        (
            "**`split_at`**: borrows the two halves without copying them.",
            "**One allocation per level**: `with_capacity` reserves the result's size up front.",
            "**Built-in alternative**: `v.sort()` is stable, and `v.sort_unstable()` is faster "
            "when order among equal items does not matter.",
        ),
    ),
)

_ADD = _task(
    "add",
    r"\badd(?:s|ing)?\b(?: up| together)? (?:two |2 |a pair of )?numbers\b|\bsum of two\b",
    (
        "Here's a function that adds two numbers:",
        "Adding two numbers is a one-liner; here it is with type hints and a quick check:",
    ),
    "The second example shows floating-point rounding, which surprises many people: decimal "
    "fractions such as 0.1 cannot be stored exactly in binary. For money, use a decimal type "
    "or whole cents.",
    python=Snippet(
        r'''def add(a: float, b: float) -> float:
    """Return the sum of a and b."""
    return a + b


print(add(2, 3))  # 5
print(add(0.1, 0.2))  # 0.30000000000000004''',
        (
            "**Type hints**: `float` also accepts integers, so `add(2, 3)` is fine.",
            "**Exact decimals**: use `decimal.Decimal` when rounding errors matter.",
        ),
    ),
    javascript=Snippet(
        r"""function add(a, b) {
  return a + b;
}

console.log(add(2, 3)); // 5
console.log(add(0.1, 0.2)); // 0.30000000000000004""",
        (
            '**Watch the types**: `add("2", 3)` gives `"23"`, because `+` also joins strings.',
            "**Floating point**: all JavaScript numbers are doubles.",
        ),
    ),
    rust=Snippet(
        r"""fn add(a: i64, b: i64) -> i64 {
    a + b
}

fn main() {
    println!("{}", add(2, 3)); // 5
}""",
        (
            "**Explicit types**: `i64` for whole numbers; use `f64` for fractions.",
            "**Overflow**: debug builds panic on overflow; `checked_add` returns an `Option` "
            "instead.",
        ),
    ),
)


_HELLO = _task(
    "hello_world",
    r"hello,? world",
    (
        "Here's the classic first program:",
        "Hello, World! is the traditional first program in any language:",
    ),
    "From here, a good next step is to read a name from the user or the command line and greet "
    "them by name.",
    python=Snippet(
        'print("Hello, World!")',
        ("**`print`**: writes its argument to standard output, followed by a newline.",),
    ),
    javascript=Snippet(
        'console.log("Hello, World!");',
        ("**`console.log`**: prints to the terminal in Node.js and to the browser's console.",),
    ),
    rust=Snippet(
        r"""fn main() {
    println!("Hello, World!");
}""",
        ("**`println!`**: a macro (note the `!`) that prints a line; run it with `cargo run`.",),
    ),
    bash=Snippet(
        "#!/usr/bin/env bash\necho 'Hello, World!'",
        ("**Shebang**: the first line tells the system to run the file with Bash.",),
    ),
    go=Snippet(
        r"""package main

import "fmt"

func main() {
	fmt.Println("Hello, World!")
}""",
        ("**`package main`**: marks an executable; run it with `go run hello.go`.",),
    ),
    java=Snippet(
        r"""public class Hello {
    public static void main(String[] args) {
        System.out.println("Hello, World!");
    }
}""",
        ("**File name**: the public class `Hello` must live in `Hello.java`.",),
    ),
    cpp=Snippet(
        r"""#include <iostream>

int main() {
    std::cout << "Hello, World!\n";
}""",
        ("**`std::cout`**: the standard output stream; `main` returns 0 implicitly.",),
    ),
    c=Snippet(
        r"""#include <stdio.h>

int main(void) {
    printf("Hello, World!\n");
    return 0;
}""",
        ("**`printf`**: formatted output from `stdio.h`; `\\n` ends the line.",),
    ),
)


_REGEX = _task(
    "regex",
    r"\bregex\w*|regular expression|validat\w* (?:an? )?e-?mail",
    (
        "Here's a practical email check with a regular expression:",
        "A simple pattern catches the typos that matter without rejecting valid addresses:",
    ),
    "No regular expression fully matches the email standard, and trying makes things worse. "
    "Check the basic shape, then confirm the address really works by sending a message to it.",
    python=Snippet(
        r'''import re

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)


def looks_like_email(text: str) -> bool:
    """A practical check: something@domain.tld without spaces (not full RFC 5322)."""
    return EMAIL.fullmatch(text) is not None


print(looks_like_email("ada@example.com"))  # True
print(looks_like_email("not an email"))  # False''',
        (
            "**Compiled once**: the pattern is compiled at import time and reused.",
            "**`[^@\\s]+`**: one or more characters that are neither `@` nor whitespace.",
            "**`\\.[a-z]{2,}$`**: the address must end with a dot and a top-level domain.",
        ),
    ),
    javascript=Snippet(
        r"""const EMAIL = /^[^@\s]+@[^@\s]+\.[a-z]{2,}$/i;

function looksLikeEmail(text) {
  return EMAIL.test(text);
}

console.log(looksLikeEmail("ada@example.com")); // true
console.log(looksLikeEmail("not an email")); // false""",
        (
            "**Anchors**: `^` and `$` make the whole string match, not just a part of it.",
            "**`i` flag**: upper-case domains are accepted too.",
        ),
    ),
)


_PRIME = _task(
    "prime",
    r"\bprimes?\b|\bprimality\b",
    (
        "Here's a primality check using trial division up to the square root:",
        "Trial division is simple and fast enough for numbers up to the billions:",
    ),
    "Checking divisors only up to the square root is enough, because any factor larger than "
    "the square root pairs with one smaller than it. For generating many primes at once, a "
    "Sieve of Eratosthenes is faster.",
    python=Snippet(
        r'''def is_prime(n: int) -> bool:
    """True if n is a prime number."""
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    divisor = 3
    while divisor * divisor <= n:
        if n % divisor == 0:
            return False
        divisor += 2
    return True


print([n for n in range(30) if is_prime(n)])  # [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]''',
        (
            "**Small cases first**: numbers below 2 are not prime, and 2 is the only even prime.",
            "**Odd divisors only**: after ruling out 2, the loop steps by two.",
            "**Square-root bound**: `divisor * divisor <= n` avoids floating point entirely.",
        ),
    ),
    javascript=Snippet(
        r"""function isPrime(n) {
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) {
    if (n % d === 0) return false;
  }
  return true;
}

const primes = [];
for (let n = 0; n < 30; n++) {
  if (isPrime(n)) primes.push(n);
}
console.log(primes.join(", ")); // 2, 3, 5, 7, 11, 13, 17, 19, 23, 29""",
        (
            "**Early exits**: small numbers and even numbers are settled immediately.",
            "**Square-root bound**: `d * d <= n` limits the loop without `Math.sqrt`.",
        ),
    ),
    rust=Snippet(
        r"""fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    if n % 2 == 0 {
        return n == 2;
    }
    let mut d = 3;
    while d * d <= n {
        if n % d == 0 {
            return false;
        }
        d += 2;
    }
    true
}

fn main() {
    let primes: Vec<u64> = (0..30).filter(|&n| is_prime(n)).collect();
    println!("{:?}", primes); // [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]
}""",
        (
            "**Early exits**: numbers below 2 and even numbers are handled first.",
            "**Iterator filter**: `main` collects the primes below 30 in one expression.",
        ),
    ),
)

_FIZZBUZZ = _task(
    "fizzbuzz",
    r"fizz\s*buzz",
    (
        "Here's FizzBuzz for the numbers 1 to 15:",
        "FizzBuzz, written to be easy to read:",
    ),
    "Checking divisibility by 15 first (or building the word from both checks) is the whole "
    "trick: otherwise multiples of 15 only ever print Fizz.",
    python=Snippet(
        r'''def fizzbuzz(n: int) -> list[str]:
    """FizzBuzz from 1 to n."""
    lines = []
    for i in range(1, n + 1):
        if i % 15 == 0:
            lines.append("FizzBuzz")
        elif i % 3 == 0:
            lines.append("Fizz")
        elif i % 5 == 0:
            lines.append("Buzz")
        else:
            lines.append(str(i))
    return lines


print(", ".join(fizzbuzz(15)))  # 1, 2, Fizz, 4, Buzz, Fizz, 7, 8, Fizz, Buzz, 11, Fizz, 13, 14, FizzBuzz''',  # noqa: E501
        (
            "**Order matters**: multiples of 15 are checked first.",
            "**Returns a list**: printing is left to the caller, which makes the function easy "
            "to test.",
        ),
    ),
    javascript=Snippet(
        r"""for (let i = 1; i <= 15; i++) {
  let line = "";
  if (i % 3 === 0) line += "Fizz";
  if (i % 5 === 0) line += "Buzz";
  console.log(line || i);
}""",
        (
            "**Build the word**: Fizz and Buzz are appended independently, so 15 gets both.",
            "**Fallback**: `line || i` prints the number when the word is empty.",
        ),
    ),
    rust=Snippet(
        r"""fn main() {
    for i in 1..=15 {
        match (i % 3, i % 5) {
            (0, 0) => println!("FizzBuzz"),
            (0, _) => println!("Fizz"),
            (_, 0) => println!("Buzz"),
            _ => println!("{i}"),
        }
    }
}""",
        (
            "**Pattern matching**: matching on both remainders at once makes every case explicit.",
            "**Order of arms**: `(0, 0)` comes first, so multiples of 15 print FizzBuzz.",
        ),
    ),
)

_WORD_FREQUENCY = _task(
    "word_frequency",
    r"\b(?:count|counts|counting|frequenc\w*|occurrences?)\b.*\bwords?\b|"
    r"\bwords?\b.*\b(?:count|counts|counting|frequenc\w*|occurrences?)\b",
    (
        "Here's a function that counts how often each word appears:",
        "Counting words comes down to normalising the text, splitting it and tallying:",
    ),
    "Real text needs a decision about what counts as a word: this version treats apostrophes "
    'as part of a word ("don\'t") and ignores case. For serious language work, a proper '
    "tokenizer handles hyphens, numbers and other languages better.",
    python=Snippet(
        r'''import re
from collections import Counter


def word_frequencies(text: str, top: int = 3) -> list[tuple[str, int]]:
    """The most common words in text, ignoring case and punctuation."""
    words = re.findall(r"[a-z']+", text.lower())
    return Counter(words).most_common(top)


sample = "The cat sat on the mat. The mat was warm, and the cat was happy."
print(word_frequencies(sample))  # [('the', 4), ('cat', 2), ('mat', 2)]''',
        (
            '**Normalise**: lower-casing first means "The" and "the" count as one word.',
            "**Split with a pattern**: `re.findall` picks out runs of letters and apostrophes, "
            "so punctuation never sticks to a word.",
            "**`Counter`**: tallies everything in one pass, and `most_common` sorts the result.",
        ),
    ),
    javascript=Snippet(
        r"""function wordFrequencies(text, top = 3) {
  const counts = new Map();
  for (const word of text.toLowerCase().match(/[a-z']+/g) ?? []) {
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
}

const sample = "The cat sat on the mat. The mat was warm, and the cat was happy.";
console.log(wordFrequencies(sample)); // [ [ 'the', 4 ], [ 'cat', 2 ], [ 'mat', 2 ] ]""",
        (
            "**`Map`**: keeps counts per word and remembers insertion order.",
            "**Stable sort**: words with the same count stay in the order they first appeared.",
            "**`?? []`**: `match` returns `null` for text without words, and this avoids an error.",
        ),
    ),
    rust=Snippet(
        r"""use std::collections::HashMap;

fn word_frequencies(text: &str, top: usize) -> Vec<(String, usize)> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for word in text
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
    {
        *counts.entry(word.to_lowercase()).or_insert(0) += 1;
    }
    let mut pairs: Vec<(String, usize)> = counts.into_iter().collect();
    pairs.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    pairs.truncate(top);
    pairs
}

fn main() {
    let sample = "The cat sat on the mat. The mat was warm, and the cat was happy.";
    println!("{:?}", word_frequencies(sample, 3)); // [("the", 4), ("cat", 2), ("mat", 2)]
}""",
        (
            "**`entry` API**: inserts a zero the first time a word is seen, then increments.",
            "**Deterministic order**: ties are broken alphabetically, because `HashMap` has "
            "no order of its own.",
        ),
    ),
    bash=Snippet(
        r"""#!/usr/bin/env bash
set -euo pipefail

# Prints the ten most frequent words of the files given (or of standard input).
cat "$@" \
  | tr '[:upper:]' '[:lower:]' \
  | tr -cs "[:alpha:]'" '\n' \
  | grep -v '^$' \
  | sort \
  | uniq -c \
  | sort -rn \
  | head -n 10""",
        (
            "**`tr -cs`**: turns every run of non-letters into a single newline, one word per "
            "line.",
            "**`sort | uniq -c | sort -rn`**: the classic pipeline for counting and ranking.",
        ),
    ),
)


# --- shell tasks (a shell script is the natural answer) -------------------------------------

_BACKUP = _task(
    "backup",
    r"\bback ?ups?\b|\bbacking up\b|\barchive\b",
    (
        "Here's a backup script that writes a dated archive and keeps the last seven:",
        "This script archives a folder with a timestamp and prunes old backups:",
    ),
    "Test the restore, not only the backup: `tar -tzf` lists an archive's contents, and "
    "extracting one into a scratch folder now and then proves it works.",
    bash=Snippet(
        r"""#!/usr/bin/env bash
set -euo pipefail

source_dir=${1:?usage: backup.sh SOURCE_DIR [DEST_DIR]}
dest_dir=${2:-$HOME/backups}
keep=7

name=$(basename "$source_dir")
archive="$dest_dir/${name}_$(date +%Y-%m-%d_%H%M%S).tar.gz"
mkdir -p "$dest_dir"
tar -czf "$archive" -C "$(dirname "$source_dir")" "$name"
echo "Created $archive"

# Keep only the newest $keep archives of this folder.
find "$dest_dir" -maxdepth 1 -name "${name}_*.tar.gz" -printf '%T@\t%p\n' \
  | sort -rn \
  | tail -n +$((keep + 1)) \
  | cut -f2- \
  | xargs -r -d '\n' rm --""",
        (
            "**`set -euo pipefail`**: stops at the first error instead of carrying on silently.",
            "**`${1:?...}`**: prints the usage line and exits if no folder is given.",
            "**`tar -C`**: stores paths relative to the folder's parent, so archives unpack "
            "cleanly.",
            "**Pruning**: `find -printf '%T@'` lists the archives with their times, newest "
            "first after sorting, and everything after the seventh is deleted.",
        ),
    ),
)


# --- SQL ------------------------------------------------------------------------------------

# The tables the SQL answers assume, named before the query.
SQL_TABLES = {
    "customers": "`customers(id, name, email, created_at)`",
    "orders": "`orders(id, customer_id, total_cents, created_at)`",
    "employees": "`employees(id, name, department, salary)`",
}

SQL_TASKS: tuple[Task, ...] = (
    _task(
        "sql_duplicates",
        r"duplicat",
        ("This finds email addresses that appear on more than one customer:",),
        "To delete the extra rows instead, keep the lowest id per email and remove the rest; "
        "run the SELECT first to see exactly what would go.",
        sql=Snippet(
            r"""SELECT email,
       COUNT(*) AS copies
FROM customers
GROUP BY email
HAVING COUNT(*) > 1
ORDER BY copies DESC, email;""",
            (
                "**`GROUP BY email`**: one row per distinct address.",
                "**`HAVING`**: filters groups after counting, which `WHERE` cannot do.",
            ),
        ),
    ),
    _task(
        "sql_second_salary",
        r"second (?:highest|largest)|\bnth\b|salar",
        ("This finds the second-highest salary, ignoring ties:",),
        "If two people share the top salary, `DISTINCT` makes sure the next lower amount is "
        "returned rather than the same one twice.",
        sql=Snippet(
            r"""SELECT DISTINCT salary
FROM employees
ORDER BY salary DESC
LIMIT 1 OFFSET 1;""",
            (
                "**`DISTINCT`**: collapses equal salaries into one value.",
                "**`LIMIT 1 OFFSET 1`**: skips the highest and returns the next one.",
            ),
        ),
    ),
    _task(
        "sql_no_orders",
        r"without (?:any )?orders|never ordered|no orders|(?:left|anti) join",
        ("This lists customers who have never placed an order:",),
        "The same pattern, a LEFT JOIN and a test for NULL, finds any rows without a match in "
        "another table.",
        sql=Snippet(
            r"""SELECT c.id, c.name
FROM customers AS c
LEFT JOIN orders AS o ON o.customer_id = c.id
WHERE o.id IS NULL
ORDER BY c.name;""",
            (
                "**`LEFT JOIN`**: keeps every customer, with NULLs where no order matches.",
                "**`WHERE o.id IS NULL`**: keeps only the customers without a match.",
            ),
        ),
    ),
    _task(
        "sql_monthly",
        r"per month|by month|monthly|each month|per day|daily",
        ("This counts orders and revenue per month:",),
        "`strftime` is SQLite's date function; in PostgreSQL use `date_trunc('month', "
        "created_at)`, and in MySQL `DATE_FORMAT(created_at, '%Y-%m')`.",
        sql=Snippet(
            r"""SELECT strftime('%Y-%m', created_at) AS month,
       COUNT(*)                    AS orders,
       SUM(total_cents) / 100.0    AS revenue
FROM orders
GROUP BY month
ORDER BY month;""",
            (
                "**Group by month**: the date is cut down to year and month first.",
                "**Cents to currency**: dividing by `100.0` keeps the decimals.",
            ),
        ),
    ),
    _task(
        "sql_create",
        r"\bcreate\b.*\btables?\b|\bschema\b|\bddl\b",
        ("Here's a table definition with sensible constraints:",),
        "Constraints in the database catch bad data that slips past the application, so it is "
        "worth declaring them from the start.",
        sql=Snippet(
            r"""CREATE TABLE customers (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE orders (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    total_cents INTEGER NOT NULL CHECK (total_cents >= 0),
    created_at  TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX orders_by_customer ON orders (customer_id);""",
            (
                "**Money as integers**: cents avoid floating-point rounding.",
                "**`UNIQUE` and `CHECK`**: the database itself refuses duplicates and "
                "negative totals.",
                "**Index on the foreign key**: makes the joins from customers to orders fast.",
            ),
        ),
    ),
)

# The SQL answer when no task above matches: a top-customers report, the classic example.
SQL_GENERAL = _task(
    "sql_top_customers",
    r"",
    (
        "Here's a query for the top ten customers by revenue:",
        "This ranks customers by what they spent:",
    ),
    "An index on `orders(customer_id)` keeps this fast as the tables grow.",
    sql=Snippet(
        r"""SELECT c.id,
       c.name,
       COUNT(o.id)               AS order_count,
       SUM(o.total_cents) / 100.0 AS revenue
FROM customers AS c
JOIN orders AS o ON o.customer_id = c.id
GROUP BY c.id, c.name
ORDER BY revenue DESC
LIMIT 10;""",
        (
            "**`JOIN`**: combines each order with its customer.",
            "**`GROUP BY`**: one row per customer, with the count and the sum.",
            "**`ORDER BY ... LIMIT 10`**: the highest revenue first, ten rows.",
        ),
    ),
)

# Tasks in the order they are tried: the specific before the general ("merge sort" is a sort,
# not a merge of two lists).
TASKS: tuple[Task, ...] = (
    _HELLO,
    _FIZZBUZZ,
    _PALINDROME,
    _FIBONACCI,
    _FACTORIAL,
    _PRIME,
    _MERGE_LISTS,
    _SORT,
    _ADD,
    _REGEX,
    _REVERSE,
    _WORD_FREQUENCY,
    _BACKUP,
)

# The answer when no task matches: a small, complete program in the language asked for.
GENERAL_INTROS = (
    "Here's a small, complete example to build on. It counts how often each word appears in "
    "a text, and shows the structure I'd use: a focused function, clear names and a quick "
    "check at the end.",
    "Here's a compact example that shows the usual shape of a well-structured program: one "
    "function doing one job, followed by a short demonstration. This one counts word "
    "frequencies.",
)
GENERAL_EXTRA = (
    "If you describe the inputs and the output you expect, I can adapt this to your exact "
    "case, including error handling and tests."
)


# The general example as a task, for the code path that needs one.
GENERAL = Task("general", re.compile(""), GENERAL_INTROS, _WORD_FREQUENCY.snippets, GENERAL_EXTRA)


# Intros for a request to fix code when a task's snippet answers it.
FIX_INTROS = (
    "Here's a corrected version that works; compare it with yours line by line:",
    "The simplest fix is to start from a known-good version like this one:",
)

# For a bug report or pasted code the demo cannot run: advice that holds for any code.
_DEBUG = (
    """Without seeing the full error I can't be certain, but bugs like this usually come from one
of a few places:

- **Off-by-one errors**: a loop that starts at 1 instead of 0, or stops one step too late.
- **Missing values**: a variable that is `None`, `null` or `undefined` where the code expects
  data.
- **Types**: a string where a number was expected, or integer division where you wanted a
  fraction.
- **Shared state**: a list or object changed while it is being iterated over.

If you paste the complete error message and the lines around where it happens, I can point to
the exact fix.""",
    """Here's how I'd track it down:

1. **Read the last line of the error first.** It names the exception; the lines above it show
   the path the program took to get there.
2. **Reproduce it with the smallest input.** If a three-item list triggers it, the cause is
   much easier to see.
3. **Print the values just before the failing line.** The bug is usually where a value differs
   from what you assumed.
4. **Check what changed recently.** `git diff` often points straight at the culprit.

Share the full error message and the relevant snippet, and I'll go through it with you.""",
)
DEBUG = tuple(map(unwrap, _DEBUG))
_REVIEW = (
    """The overall structure looks reasonable. Here's what I'd check first:

- **Edge cases**: empty input, a single item, very large input and unexpected types.
- **Error handling**: what happens when a file, network call or parse fails halfway.
- **Naming**: names that say what a value means, not how it is stored, make the intent clear.
- **Tests**: a few small tests around the boundaries catch regressions early.

Tell me what the code is supposed to do, and I can walk through it line by line.""",
)
REVIEW = tuple(map(unwrap, _REVIEW))
# For a comparison of languages or tools ("is C++ faster than Java?"): true whatever was compared.
_COMPARE = (
    """It depends on the workload more than on the language or tool itself:

- **Performance**: differences show up mostly in tight loops and memory-heavy work; measure with
  a benchmark that looks like your real use before deciding.
- **Productivity**: how quickly you can write, read and change the code often matters more than
  raw speed.
- **Ecosystem**: the libraries, tooling and documentation available for your problem can
  decide it on their own.
- **Team**: what your team already knows well is usually the fastest option in practice.

If you tell me what you're building, I can give a more concrete recommendation.""",
)
COMPARE = tuple(map(unwrap, _COMPARE))

# For a question about a programming concept the demo has no curated answer for.
_CONCEPT = (
    """The quickest way to get a feel for it is a small experiment:

1. **Start from the official documentation's example**, which is usually the shortest correct
   use.
2. **Run it and change one thing at a time**: an argument, a type, an edge case, and watch what
   happens.
3. **Look at how a well-known library uses it**: real code shows the idioms that reference pages
   leave out.

If you tell me what you're trying to build with it, I can write an example tailored to that.""",
)
CONCEPT = tuple(map(unwrap, _CONCEPT))
