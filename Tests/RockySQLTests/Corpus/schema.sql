-- The fixture tables of Fixtures/README.md. Key columns are NOT NULL;
-- every other column is nullable.
CREATE TABLE prices (
    symbol TEXT NOT NULL,
    ts TIMESTAMP NOT NULL,
    open DECIMAL(12,4),
    high DECIMAL(12,4),
    low DECIMAL(12,4),
    close DECIMAL(12,4),
    volume INTEGER,
    PRIMARY KEY (symbol, ts)
);
CREATE TABLE positions (
    account_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    quantity INTEGER,
    avg_cost DECIMAL(12,4),
    risk_score DOUBLE,
    PRIMARY KEY (account_id, symbol)
);
CREATE TABLE risk_scores (
    symbol TEXT PRIMARY KEY,
    sector TEXT,
    beta DOUBLE,
    volatility DOUBLE,
    var_95 DECIMAL(10,4),
    rating TEXT
);
CREATE TABLE customers (
    customer_id INTEGER PRIMARY KEY,
    name TEXT,
    email TEXT,
    ssn TEXT,
    birth_date DATE,
    country TEXT,
    segment TEXT
);
CREATE TABLE accounts (
    account_id TEXT PRIMARY KEY,
    customer_id INTEGER,
    opened DATE,
    strategy TEXT,
    base_currency TEXT
);
CREATE TABLE trades (
    trade_id INTEGER PRIMARY KEY,
    account_id TEXT,
    symbol TEXT,
    side TEXT,
    quantity INTEGER,
    price DECIMAL(12,4),
    fee DECIMAL(10,2),
    executed_at TIMESTAMP,
    is_algo BOOLEAN
);
