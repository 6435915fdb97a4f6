#!/usr/bin/env python3
"""Rocky fixture data: the small committed fixtures and large benchmark tables.

    python3 Fixtures/generate.py small [--dir DIR]
        Rewrites the six small CSVs, deliveries/ and deliveries.tsv (default:
        the folder this script is in). The output is byte-identical on every run.

    python3 Fixtures/generate.py prices --rows N [-o FILE] [--days D] [--seed S]
    python3 Fixtures/generate.py trades --rows N [-o FILE] [--accounts A] [--symbols K] [--seed S]
        Writes a large table with the same header and column formats as
        prices.csv / trades.csv (to stdout without -o).

Standard library only. All randomness comes from splitmix64 below and all
arithmetic on values is integer arithmetic, so the bytes written depend on the
arguments only, never on the Python version or platform.
"""

import argparse
import datetime
import os
import sys

MASK64 = (1 << 64) - 1


class SplitMix64:
    """Steele, Lea and Flood's splitmix64: tiny, fast, fully specified."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def below(self, n):
        """An integer in [0, n). The modulo bias is irrelevant at these sizes."""
        return self.next() % n

    def between(self, lo, hi):
        """An integer in [lo, hi], both ends included."""
        return lo + self.next() % (hi - lo + 1)

    def chance(self, percent):
        return self.next() % 100 < percent

    def choice(self, seq):
        return seq[self.next() % len(seq)]

    def bell(self, spread):
        """A roughly normal integer in about [-spread, spread] (sum of three uniforms)."""
        return (self.between(-spread, spread) + self.between(-spread, spread) + self.between(-spread, spread)) // 2


# ---------------------------------------------------------------------------
# Formatting helpers (integers in, text out).


def dec(units, scale):
    """An exact decimal `units * 10^-scale` written with exactly `scale` digits."""
    sign = "-" if units < 0 else ""
    units = abs(units)
    whole, frac = divmod(units, 10 ** scale)
    return f"{sign}{whole}.{frac:0{scale}d}"


def cents4(cents):
    """A price held in cents, written as DECIMAL(12,4): 18725 -> 187.2500."""
    return dec(cents * 100, 4)


def dbl(units, scale):
    """A DOUBLE from `units * 10^-scale`, trailing zeros dropped (one decimal kept):
    730/1000 -> 0.73, 1200/1000 -> 1.2, 1000/1000 -> 1.0. Columns written this way
    have varying numbers of decimals, so they read as DOUBLE, not DECIMAL."""
    text = dec(units, scale).rstrip("0")
    return text + "0" if text.endswith(".") else text


def csv_field(value):
    """RFC 4180: quote a field holding a comma, a quote or a line break; None is NULL (empty)."""
    if value is None:
        return ""
    value = str(value)
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def write_csv(path, header, rows):
    lines = [",".join(header)]
    lines += [",".join(csv_field(v) for v in row) for row in rows]
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------
# The small fixtures.

PRICES_HEADER = ["symbol", "ts", "open", "high", "low", "close", "volume"]
POSITIONS_HEADER = ["account_id", "symbol", "quantity", "avg_cost", "risk_score"]
RISK_HEADER = ["symbol", "sector", "beta", "volatility", "var_95", "rating"]
CUSTOMERS_HEADER = ["customer_id", "name", "email", "ssn", "birth_date", "country", "segment"]
ACCOUNTS_HEADER = ["account_id", "customer_id", "opened", "strategy", "base_currency"]
TRADES_HEADER = ["trade_id", "account_id", "symbol", "side", "quantity", "price", "fee", "executed_at", "is_algo"]

# symbol: (start close in cents, daily volatility in basis points, mean volume)
SYMBOLS = {
    "AAPL": (21240, 150, 52_000_000),
    "AMZN": (20560, 180, 38_000_000),
    "GOOGL": (17830, 170, 28_000_000),
    "JNJ": (15820, 90, 7_000_000),
    "JPM": (26530, 120, 9_000_000),
    "META": (61080, 200, 14_000_000),
    "MSFT": (45510, 130, 21_000_000),
    "NVDA": (13520, 290, 240_000_000),
    "TSLA": (33060, 350, 95_000_000),
    "XOM": (11040, 130, 15_000_000),
}

# symbol, sector, beta, volatility, var_95, rating (hand-picked, fictional).
RISK_SCORES = [
    ("AAPL", "Technology", "1.21", "0.27", "0.0342", "AA+"),
    ("AMZN", "Consumer Discretionary", "1.34", "0.315", "0.0398", "AA"),
    ("GOOGL", "Communication Services", "1.08", "0.29", "0.0361", "AA+"),
    ("JNJ", "Health Care", "0.52", "0.16", "0.0207", "AAA"),
    ("JPM", "Financials", "1.1", "0.235", "0.0296", "A-"),
    ("META", "Communication Services", "1.27", "0.38", "0.0472", "A+"),
    ("MSFT", "Technology", "0.93", "0.245", "0.0311", "AAA"),
    ("NVDA", "Technology", "1.742", "0.52", "0.0655", "A+"),
    ("TSLA", "Consumer Discretionary", "2.05", "0.605", "0.0781", None),
    ("XOM", "Energy", "0.88", "0.262", "0.0334", "AA-"),
]

# name, e-mail local part, country (None = NULL). Fake people.
CUSTOMERS = [
    ("Emma Johnson", "emma.johnson", "US"),
    ("Liam Smith", "liam.smith", "US"),
    ("Olivia Brown", "olivia.brown", "GB"),
    ("Noah Williams", "noah.williams", "US"),
    ("José Álvarez", "jose.alvarez", "ES"),
    ("Zoë Müller", "zoe.muller", "DE"),
    ("Robert Miller, Jr.", "robert.miller", "US"),
    ('Anna "Annie" Kowalski', "anna.kowalski", "PL"),
    ("王芳", "wang.fang", "CN"),
    ("François Lefèvre", "francois.lefevre", "FR"),
    ("Søren Nielsen", "soren.nielsen", "DK"),
    ("Björn Åkesson", "bjorn.akesson", "SE"),
    ("Chloé Dubois", "chloe.dubois", "FR"),
    ("Mia Davis", "mia.davis", "US"),
    ("Lucas Garcia", "lucas.garcia", "US"),
    ("Sophia Martinez", "sophia.martinez", "US"),
    ("Ethan Wilson", "ethan.wilson", "CA"),
    ("Isabella Anderson", "isabella.anderson", "US"),
    ("Mason Taylor", "mason.taylor", "GB"),
    ("Amelia Thomas", "amelia.thomas", "GB"),
    ("Hiroshi Tanaka", "hiroshi.tanaka", "JP"),
    ("Priya Patel", "priya.patel", "GB"),
    ("Matteo Rossi", "matteo.rossi", "IT"),
    ("Ava Jackson", "ava.jackson", "US"),
    ("James White", "james.white", "US"),
    ("Charlotte Harris", "charlotte.harris", "CA"),
    ("Benjamin Martin", "benjamin.martin", None),
    ("Harper Thompson", "harper.thompson", "US"),
    ("Elijah Moore", "elijah.moore", "US"),
    ("Evelyn Clark", "evelyn.clark", "GB"),
    ("Henry Lewis", "henry.lewis", "US"),
    ("Abigail Walker", "abigail.walker", "US"),
    ("Alexander Hall", "alexander.hall", "DE"),
    ("Emily Young", "emily.young", "US"),
    ("Daniel King", "daniel.king", "US"),
    ("Ella Wright", "ella.wright", "GB"),
    ("Michael Green", "michael.green", "US"),
    ("Grace Lopez", "grace.lopez", "US"),
    ("Samuel Hill", "samuel.hill", "CA"),
    ("Lena Fischer", "lena.fischer", "DE"),
]
NULL_BIRTH_DATE = {14, 38}  # customer_ids with a NULL birth_date
NULL_SEGMENT = {33}  # customer_ids with a NULL segment
CURRENCY = {"US": "USD", "CA": "CAD", "GB": "GBP", "DE": "EUR", "ES": "EUR", "FR": "EUR", "IT": "EUR",
            "PL": "PLN", "DK": "DKK", "SE": "SEK", "JP": "JPY", "CN": "CNY", None: "USD"}
STRATEGIES = ["growth", "income", "balanced", "index", "momentum", "value, dividend"]

FIRST_DAY = datetime.date(2026, 5, 4)
LAST_DAY = datetime.date(2026, 5, 29)
CLOSE_TIME = "T20:00:00Z"  # prices.ts: the US close, 16:00 New York
LATE_DAY = datetime.date(2026, 5, 19)  # prices missing on their day, delivered on 05-21
CORRECTED = ("JPM", datetime.date(2026, 5, 14))  # close corrected by the 05-22 delivery
CORRECTION_DAY = datetime.date(2026, 5, 22)
DELIVERY_TIME = "T22:00:00Z"


def weekdays(first, last):
    days, d = [], first
    while d <= last:
        if d.weekday() < 5:
            days.append(d)
        d += datetime.timedelta(days=1)
    return days


def make_prices(rng):
    """One row per symbol and weekday, as dicts of integer cents; sorted by (symbol, ts)."""
    days = weekdays(FIRST_DAY, LAST_DAY)
    rows = []
    for symbol, (close, vol_bp, mean_volume) in SYMBOLS.items():
        for day in days:
            open_ = close + close * rng.bell(vol_bp // 3) // 10000
            close = open_ + open_ * rng.bell(vol_bp) // 10000
            high = max(open_, close)
            low = min(open_, close)
            high += high * rng.between(5, vol_bp // 2) // 10000
            low -= low * rng.between(5, vol_bp // 2) // 10000
            volume = mean_volume * rng.between(60, 150) // 100 // 100 * 100
            rows.append({"symbol": symbol, "day": day, "open": open_, "high": high,
                         "low": low, "close": close, "volume": volume})
    rows.sort(key=lambda r: (r["symbol"], r["day"]))
    return rows


def price_row(r):
    return [r["symbol"], r["day"].isoformat() + CLOSE_TIME, cents4(r["open"]), cents4(r["high"]),
            cents4(r["low"]), cents4(r["close"]), r["volume"]]


def make_customers(rng):
    rows = []
    for i, (name, local, country) in enumerate(CUSTOMERS, start=1):
        ssn = f"9{rng.between(0, 99):02d}-{rng.between(10, 99)}-{rng.between(1000, 9999)}"
        birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.between(0, 19000))
        segment = rng.choice(["retail", "retail", "retail", "premier", "private"])
        rows.append([i, name, f"{local}@example.com", ssn,
                     None if i in NULL_BIRTH_DATE else birth.isoformat(), country,
                     None if i in NULL_SEGMENT else segment])
    return rows


def make_accounts(rng, customers):
    rows, number = [], 1001
    for c in customers:
        customer_id, country = c[0], c[5]
        for _ in range(2 if rng.chance(50) else 1):
            opened = datetime.date(2012, 1, 2) + datetime.timedelta(days=rng.between(0, 5200))
            strategy = rng.choice(STRATEGIES)
            rows.append([f"ACC-{number}", customer_id, opened.isoformat(), strategy, CURRENCY[country]])
            number += 1
    rows[17][3] = None  # one account without a recorded strategy
    return rows


def make_positions(rng, accounts, prices):
    first_close = {r["symbol"]: r["close"] for r in reversed(prices)}  # close on 2026-05-04
    symbols = sorted(SYMBOLS)
    rows = []
    for a in accounts:
        held = sorted(set(rng.choice(symbols) for _ in range(rng.between(2, 4))))
        for symbol in held:
            price = first_close[symbol]
            quantity = rng.between(1, 60) * (10 if price < 30000 else 5)
            if rng.chance(6):
                quantity = -quantity  # a short position
            avg_cost = price * 100 * rng.between(7000, 11500) // 10000  # 4-decimal units
            if rng.chance(42):
                risk = rng.between(801, 995)
            else:
                risk = rng.between(12, 799)
            rows.append([a[0], symbol, quantity, dec(avg_cost, 4), dbl(risk, 3)])
    rows[5][4] = None  # two positions not scored yet
    rows[77][4] = None
    return rows


def make_trades(rng, accounts, prices, count=200):
    bar = {(r["symbol"], r["day"]): r for r in prices}
    days = weekdays(FIRST_DAY, LAST_DAY)
    symbols = sorted(SYMBOLS)
    drafts = []
    for _ in range(count):
        day = rng.choice(days)
        micros = (13 * 3600 + 30 * 60 + rng.below(6 * 3600 + 30 * 60)) * 1_000_000
        is_algo = rng.chance(35)
        if is_algo:
            micros += rng.between(1, 999) * 1000  # algos stamp milliseconds
        drafts.append((day, micros, is_algo))
    drafts.sort()
    rows = []
    for trade_id, (day, micros, is_algo) in enumerate(drafts, start=1):
        account = rng.choice(accounts)[0]
        symbol = rng.choice(symbols)
        b = bar[(symbol, day)]
        price = rng.between(b["low"], b["high"])
        quantity = rng.between(1, 60) * rng.choice([1, 5, 10])
        fee = max(100, quantity * price * 5 // 10000)
        seconds, fraction = divmod(micros, 1_000_000)
        stamp = f"{day.isoformat()}T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        stamp += f".{fraction:06d}Z" if fraction else "Z"
        rows.append([trade_id, account, symbol, rng.choice(["buy", "sell"]), quantity, cents4(price),
                     dec(fee, 2), stamp, "true" if is_algo else "false"])
    for i in (41, 118, 187):
        rows[i][6] = None  # fee not booked yet
    return rows


def corrupt_close(r):
    """The wrong close first delivered for the corrected row: inside [low, high], != close."""
    close, low, high = r["close"], r["low"], r["high"]
    return close - (close - low) // 2 if close - low >= high - close else close + (high - close) // 2


def make_deliveries(prices):
    """The price timeline: [(commit_time, file, mode, message, rows)] in apply order.

    A backfill of 05-04..05-15 committed on 05-15; then one delivery per weekday
    at 22:00Z, except that 05-19 arrives late inside the 05-21 delivery, and the
    05-22 delivery (an upsert) also corrects JPM's 05-14 close, which the
    backfill carried wrong."""
    by_day = {}
    for r in prices:
        by_day.setdefault(r["day"], []).append(r)
    days = weekdays(FIRST_DAY, LAST_DAY)
    backfill_end = datetime.date(2026, 5, 15)
    backfill = []
    for d in days:
        if d <= backfill_end:
            for r in by_day[d]:
                if (r["symbol"], r["day"]) == CORRECTED:
                    r = dict(r, close=corrupt_close(r))
                backfill.append(r)
    plan = [(backfill_end, "prices-2026-05-15-backfill.csv", "append",
             "backfill prices 2026-05-04..2026-05-15", backfill)]
    for d in days:
        if d <= backfill_end or d == LATE_DAY:
            continue
        rows, mode, message = list(by_day[d]), "append", f"prices {d.isoformat()}"
        if d == LATE_DAY + datetime.timedelta(days=2):
            rows += by_day[LATE_DAY]
            message += f", with the late prices of {LATE_DAY.isoformat()}"
        if d == CORRECTION_DAY:
            rows += [r for r in prices if (r["symbol"], r["day"]) == CORRECTED]
            mode = "upsert"
            message += f", correcting the {CORRECTED[0]} close of {CORRECTED[1].isoformat()}"
        rows.sort(key=lambda r: (r["symbol"], r["day"]))
        plan.append((d, f"prices-{d.isoformat()}.csv", mode, message, rows))
    return [(d.isoformat() + DELIVERY_TIME, "deliveries/" + name, mode, message, rows)
            for d, name, mode, message, rows in plan]


def write_small(out):
    os.makedirs(out, exist_ok=True)
    rng = SplitMix64(20260504)
    prices = make_prices(rng)
    customers = make_customers(rng)
    accounts = make_accounts(rng, customers)
    positions = make_positions(rng, accounts, prices)
    trades = make_trades(rng, accounts, prices)
    write_csv(os.path.join(out, "prices.csv"), PRICES_HEADER, [price_row(r) for r in prices])
    write_csv(os.path.join(out, "positions.csv"), POSITIONS_HEADER, positions)
    write_csv(os.path.join(out, "risk_scores.csv"), RISK_HEADER, RISK_SCORES)
    write_csv(os.path.join(out, "customers.csv"), CUSTOMERS_HEADER, customers)
    write_csv(os.path.join(out, "accounts.csv"), ACCOUNTS_HEADER, accounts)
    write_csv(os.path.join(out, "trades.csv"), TRADES_HEADER, trades)
    deliveries = make_deliveries(prices)
    os.makedirs(os.path.join(out, "deliveries"), exist_ok=True)
    manifest = ["commit_time\tfile\tmode\tmessage"]
    for commit_time, name, mode, message, rows in deliveries:
        write_csv(os.path.join(out, name), PRICES_HEADER, [price_row(r) for r in rows])
        manifest.append(f"{commit_time}\t{name}\t{mode}\t{message}")
    with open(os.path.join(out, "deliveries.tsv"), "w", encoding="utf-8", newline="") as f:
        f.write("\n".join(manifest) + "\n")

# ---------------------------------------------------------------------------
# Large tables for benchmarks.
#
# Speed comes from doing almost nothing per row: every text fragment (prices in
# cents, time stamps, volumes, fees, ids) is formatted once into a lookup table;
# a row's random draws are one tuple from a table of DRAWS precomputed draws,
# read as a slice at a random start and stride (so sequences differ from symbol
# to symbol and chunk to chunk); rows are joined and written BATCH at a time.
# The draw table is kept small on purpose: a large one no longer fits the CPU
# caches and halves the speed. About 0.9-1.2 s per million rows.

BATCH = 50_000
DRAWS = 1 << 12
PRICE_MIN, PRICE_MAX = 100, 200_000  # a walk is kept within $1.00..$2,000.00 (in cents)


def open_output(path):
    return open(path, "wb") if path else os.fdopen(os.dup(sys.stdout.fileno()), "wb")


def cents_table(limit, scale_suffix):
    """Text of every cents value below `limit`: 18725 -> '187.25' + suffix."""
    return [f"{c // 100}.{c % 100:02d}{scale_suffix}" for c in range(limit)]


def weekdays_ending(last, count):
    days, d = [], last
    while len(days) < count:
        if d.weekday() < 5:
            days.append(d)
        d -= datetime.timedelta(days=1)
    days.reverse()
    return days


def price_draws(rng):
    """DRAWS tuples (gap, return, high wick, low wick, volume index); the first four
    are multipliers in units of 2^-20, for a daily volatility of 0.6% .. 4%."""
    draws = []
    for _ in range(DRAWS):
        x, y = rng.next(), rng.next()
        vol = 60 + (x & 0xFFFF) % 341  # basis points
        bell = ((x >> 16) & 0x3FF) + ((x >> 26) & 0x3FF) + ((x >> 36) & 0x3FF) - 1534  # ~ N(0, 512)
        gap = ((x >> 46) & 0x3FF) + ((y >> 0) & 0x3FF) + ((y >> 10) & 0x3FF) - 1534
        up = 5 + ((y >> 20) & 0xFFFF) % (vol // 2)
        down = 5 + ((y >> 36) & 0xFFFF) % (vol // 2)
        draws.append((gap * vol // 3 * 2048 // 10000, bell * vol * 2048 // 10000,
                      up * 1048576 // 10000, down * 1048576 // 10000, y >> 56))
    return draws


def generate_prices(rows, out, days=260, seed=1):
    """`rows` rows of prices for symbols S00001, S00002, ..., each with `days`
    consecutive weekdays ending 2026-05-29 (the last symbol may have fewer),
    ordered by (symbol, ts). Each symbol's closes follow a random walk."""
    rng = SplitMix64(seed)
    ts = [f",{d.isoformat()}{CLOSE_TIME}," for d in weekdays_ending(LAST_DAY, days)]
    price = cents_table(PRICE_MAX * 11 // 10, "00")
    low_cap, high_cap = PRICE_MIN * 12 // 10, PRICE_MAX * 9 // 10
    draws = price_draws(rng)
    volume_classes = []
    for k in range(16):  # mean volumes from 50k shares up, a factor of 1.75 apart, up to ~220M
        mean = 50_000 * 7 ** k // 4 ** k
        volume_classes.append([f",{mean * rng.between(50, 160) // 10000 * 100}\n" for _ in range(256)])
    symbols = -(-rows // days) if rows else 0
    width = max(5, len(str(symbols)))
    # A symbol's draws are draws[k], draws[k + stride], ... for a random start k
    # and a small odd stride; doubling the table lets that be one slice.
    stride_max = max(1, min(251, (1 << 20) // max(days, 1)))
    twice = draws * ((DRAWS + stride_max * days) // DRAWS + 1)
    left = rows
    with open_output(out) as f:
        f.write((",".join(PRICES_HEADER) + "\n").encode())
        batch = []
        append = batch.append
        for s in range(1, symbols + 1):
            head = f"S{s:0{width}d}"
            c = 500 + rng.below(30_000) if rng.chance(80) else 30_500 + rng.below(70_000)
            k = rng.below(DRAWS)
            stride = rng.below(stride_max) | 1
            volumes = volume_classes[rng.below(16)]
            n = min(days, left)
            left -= n
            for (g, r, u, d, v), t in zip(twice[k : k + stride * n : stride], ts):
                o = c + (c * g >> 20)
                c = o + (o * r >> 20)
                if c < low_cap or c > high_cap:
                    c = o = low_cap if c < low_cap else high_cap
                if o > c:
                    hi = o + (o * u >> 20)
                    lo = c - (c * d >> 20)
                else:
                    hi = c + (c * u >> 20)
                    lo = o - (o * d >> 20)
                append(f"{head}{t}{price[o]},{price[hi]},{price[lo]},{price[c]}{volumes[v]}")
            if len(batch) >= BATCH:
                f.write("".join(batch).encode())
                batch.clear()
        f.write("".join(batch).encode())


JITTER_LEVELS = 16  # a trade's price is one of 16 levels within +-1% of its symbol's price of the day


def trade_draws(rng, accounts, symbols):
    """DRAWS tuples (account step, symbol step, "side,quantity", jitter level,
    ",fee", milliseconds to the next trade, "is_algo\\n")."""
    draws = []
    for _ in range(DRAWS):
        x, y = rng.next(), rng.next()
        quantity = (1 + (x & 0xFF) % 100) * (1, 1, 5, 10, 10, 25, 50, 100)[(x >> 8) & 7]
        side = "buy" if (x >> 11) & 1 else "sell"
        fee = max(100, quantity // 2)  # $0.005 a share, at least $1.00, in cents
        draws.append(((y & 0xFFFFFFFF) % accounts, (y >> 32) % symbols, f"{side},{quantity}",
                      (x >> 12) % JITTER_LEVELS, f",{fee // 100}.{fee % 100:02d}", (x >> 32) % 41,
                      "true\n" if (x >> 40) % 100 < 35 else "false\n"))
    return draws


def generate_trades(rows, out, accounts=10_000, symbols=1_000, seed=1):
    """`rows` trades with ids 1..rows in time order, from 2026-05-04 13:30Z on,
    about 50 a second through each weekday's session (13:30-20:00Z), by
    ACC-100001.. on S00001.. (the symbols of `prices`), at prices within 1% of
    each symbol's daily random walk; fee = $0.005 a share, at least $1.00."""
    rng = SplitMix64(seed)
    draws = trade_draws(rng, accounts, symbols)
    repeated = draws * 17  # room for any slice [k : k + stride * n : stride] below
    hms = [f"T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(13 * 3600 + 1800, 20 * 3600)]
    frac = ["Z"] + [f".{ms:03d}000Z" for ms in range(1, 1000)]
    account_ids = [f"ACC-{100_000 + i + 1}" for i in range(accounts)]
    width = max(5, len(str(symbols)))
    symbol_ids = [f"S{i + 1:0{width}d}" for i in range(symbols)]
    base = [500 + rng.below(30_000) if rng.chance(80) else 30_500 + rng.below(70_000) for _ in range(symbols)]
    low_cap, high_cap = PRICE_MIN * 12 // 10, PRICE_MAX * 9 // 10
    day = FIRST_DAY
    stamps = quotes = None
    a = s = sec = ms = 0
    i = 1
    with open_output(out) as f:
        f.write((",".join(TRADES_HEADER) + "\n").encode())
        batch = []
        append = batch.append
        while i <= rows:
            if stamps is None:  # a new day: its time stamps and each symbol's price levels
                stamps = [f",{day.isoformat()}{h}" for h in hms]
                quotes = [[cents4(b + b * (2 * level - JITTER_LEVELS + 1) // (100 * JITTER_LEVELS))
                           for level in range(JITTER_LEVELS)] for b in base]
            # A chunk of at most DRAWS trades takes its draws at a random start and stride.
            k, stride = rng.below(DRAWS), rng.below(16) | 1
            n = min(DRAWS, rows - i + 1)
            for da, ds, side_quantity, level, fee, gap, algo in repeated[k : k + stride * n : stride]:
                a = (a + da) % accounts
                s = (s + ds) % symbols
                append(f"{i},{account_ids[a]},{symbol_ids[s]},{side_quantity},{quotes[s][level]}{fee}{stamps[sec]}{frac[ms]},{algo}")
                i += 1
                ms += gap
                if ms >= 1000:
                    ms -= 1000
                    sec += 1
                    if sec == len(hms):
                        break
            if len(batch) >= BATCH:
                f.write("".join(batch).encode())
                batch.clear()
            if sec == len(hms):  # the session is over: the next weekday, every price moves
                sec = ms = 0
                day += datetime.timedelta(days=3 if day.weekday() == 4 else 1)
                for x in range(symbols):
                    b = base[x] + base[x] * rng.bell(150) // 10000
                    base[x] = low_cap if b < low_cap else high_cap if b > high_cap else b
                stamps = None
        f.write("".join(batch).encode())


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    small = sub.add_parser("small", help="rewrite the small committed fixtures")
    small.add_argument("--dir", default=os.path.dirname(os.path.abspath(__file__)))
    prices = sub.add_parser("prices", help="write a large prices table")
    prices.add_argument("--rows", type=int, required=True)
    prices.add_argument("-o", "--output")
    prices.add_argument("--days", type=int, default=260, help="weekdays per symbol (default 260)")
    prices.add_argument("--seed", type=int, default=1)
    trades = sub.add_parser("trades", help="write a large trades table")
    trades.add_argument("--rows", type=int, required=True)
    trades.add_argument("-o", "--output")
    trades.add_argument("--accounts", type=int, default=10_000)
    trades.add_argument("--symbols", type=int, default=1_000)
    trades.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    for name in ("rows", "days", "accounts", "symbols"):
        if getattr(args, name, 1) < (0 if name == "rows" else 1):
            parser.error(f"--{name} is too small")
    if args.command == "small":
        write_small(args.dir)
    elif args.command == "prices":
        generate_prices(args.rows, args.output, args.days, args.seed)
    elif args.command == "trades":
        generate_trades(args.rows, args.output, args.accounts, args.symbols, args.seed)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except BrokenPipeError:  # e.g. piped into head
        sys.exit(141)
