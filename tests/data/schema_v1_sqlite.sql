CREATE TABLE ils_meta (
    name VARCHAR(64) NOT NULL,
    value VARCHAR(400),
    CONSTRAINT pk_ils_meta PRIMARY KEY (name)
);

CREATE TABLE ils_load (
    load_id VARCHAR(64) NOT NULL,
    started_at VARCHAR(400) NOT NULL,
    finished_at VARCHAR(400),
    user_name VARCHAR(400),
    host_name VARCHAR(400),
    source TEXT,
    outcome VARCHAR(16) NOT NULL,
    rows_inserted INTEGER,
    rows_replaced INTEGER,
    message TEXT,
    CONSTRAINT pk_ils_load PRIMARY KEY (load_id)
);

CREATE TABLE ils_load_file (
    load_id VARCHAR(64) NOT NULL,
    file_name VARCHAR(400) NOT NULL,
    sha256 VARCHAR(64) NOT NULL,
    rows_read INTEGER,
    rows_inserted INTEGER,
    rows_replaced INTEGER,
    CONSTRAINT pk_ils_load_file PRIMARY KEY (load_id, file_name)
);

CREATE TABLE ils_organisation (
    org_id VARCHAR(64) NOT NULL,
    name TEXT NOT NULL,
    kind VARCHAR(16) NOT NULL,
    parent_id VARCHAR(64),
    controller TEXT,
    CONSTRAINT pk_ils_organisation PRIMARY KEY (org_id)
);

CREATE TABLE ils_goal (
    goal_id VARCHAR(64) NOT NULL,
    org_id VARCHAR(64) NOT NULL,
    level VARCHAR(16) NOT NULL,
    parent_goal_id VARCHAR(64),
    title TEXT NOT NULL,
    description TEXT,
    first_year INTEGER,
    last_year INTEGER,
    CONSTRAINT pk_ils_goal PRIMARY KEY (goal_id)
);

CREATE TABLE ils_indicator (
    indicator_id VARCHAR(64) NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    direction VARCHAR(16) NOT NULL,
    frequency VARCHAR(16) NOT NULL,
    source VARCHAR(16) NOT NULL,
    decimals INTEGER NOT NULL,
    CONSTRAINT pk_ils_indicator PRIMARY KEY (indicator_id)
);

CREATE TABLE ils_target (
    org_id VARCHAR(64) NOT NULL,
    indicator_id VARCHAR(64) NOT NULL,
    goal_id VARCHAR(64),
    year INTEGER NOT NULL,
    period_type VARCHAR(16) NOT NULL,
    target DOUBLE PRECISION NOT NULL,
    partial_limit DOUBLE PRECISION,
    CONSTRAINT pk_ils_target PRIMARY KEY (org_id, indicator_id, year, period_type)
);

CREATE TABLE ils_outcome (
    org_id VARCHAR(64) NOT NULL,
    indicator_id VARCHAR(64) NOT NULL,
    period VARCHAR(7) NOT NULL,
    value DOUBLE PRECISION,
    gender VARCHAR(16) NOT NULL,
    comment TEXT,
    CONSTRAINT pk_ils_outcome PRIMARY KEY (org_id, indicator_id, period, gender)
);

CREATE TABLE ils_activity (
    activity_id VARCHAR(64) NOT NULL,
    org_id VARCHAR(64) NOT NULL,
    goal_id VARCHAR(64),
    title TEXT NOT NULL,
    source VARCHAR(16) NOT NULL,
    start_date DATE,
    end_date DATE,
    CONSTRAINT pk_ils_activity PRIMARY KEY (activity_id)
);

CREATE TABLE ils_activity_status (
    activity_id VARCHAR(64) NOT NULL,
    period VARCHAR(7) NOT NULL,
    status VARCHAR(16) NOT NULL,
    comment TEXT,
    CONSTRAINT pk_ils_activity_status PRIMARY KEY (activity_id, period)
);

CREATE TABLE ils_assessment (
    org_id VARCHAR(64) NOT NULL,
    goal_id VARCHAR(64) NOT NULL,
    period VARCHAR(7) NOT NULL,
    assessment VARCHAR(16),
    comment TEXT,
    CONSTRAINT pk_ils_assessment PRIMARY KEY (org_id, goal_id, period)
);

CREATE TABLE ils_comment (
    org_id VARCHAR(64) NOT NULL,
    period VARCHAR(7) NOT NULL,
    kind VARCHAR(16) NOT NULL,
    text TEXT NOT NULL,
    CONSTRAINT pk_ils_comment PRIMARY KEY (org_id, period, kind)
);

CREATE TABLE ils_ledger (
    org_id VARCHAR(64) NOT NULL,
    month VARCHAR(7) NOT NULL,
    account VARCHAR(64) NOT NULL,
    account_name TEXT,
    kind VARCHAR(16) NOT NULL,
    outcome DOUBLE PRECISION NOT NULL,
    budget DOUBLE PRECISION NOT NULL,
    forecast DOUBLE PRECISION,
    CONSTRAINT pk_ils_ledger PRIMARY KEY (org_id, month, account)
);

CREATE TABLE ils_personnel (
    org_id VARCHAR(64) NOT NULL,
    month VARCHAR(7) NOT NULL,
    headcount INTEGER NOT NULL,
    fte DOUBLE PRECISION,
    scheduled_hours DOUBLE PRECISION NOT NULL,
    sick_hours DOUBLE PRECISION NOT NULL,
    CONSTRAINT pk_ils_personnel PRIMARY KEY (org_id, month)
);

CREATE INDEX ix_ledger_period ON ils_ledger (month, org_id, kind, outcome, budget, forecast);

CREATE INDEX ix_outcome_period ON ils_outcome (period, indicator_id, org_id);

CREATE INDEX ix_target_year ON ils_target (year, indicator_id);

CREATE INDEX ix_goal_org ON ils_goal (org_id);

CREATE INDEX ix_activity_org ON ils_activity (org_id);

CREATE INDEX ix_assessment_period ON ils_assessment (period, goal_id);

CREATE VIEW v_organisation AS
SELECT org_id, name, kind, parent_id, controller
FROM ils_organisation;

CREATE VIEW v_goal AS
SELECT goal_id, org_id, level, parent_goal_id, title, description, first_year, last_year
FROM ils_goal;

CREATE VIEW v_indicator AS
SELECT indicator_id, name, unit, direction, frequency, source, decimals
FROM ils_indicator;

CREATE VIEW v_target AS
SELECT org_id, indicator_id, goal_id, year, NULLIF(period_type, '') AS period_type, target, partial_limit
FROM ils_target;

CREATE VIEW v_outcome AS
SELECT org_id, indicator_id, period, value, gender, comment
FROM ils_outcome;

CREATE VIEW v_activity AS
SELECT activity_id, org_id, goal_id, title, source, start_date, end_date
FROM ils_activity;

CREATE VIEW v_activity_status AS
SELECT activity_id, period, status, comment
FROM ils_activity_status;

CREATE VIEW v_assessment AS
SELECT org_id, goal_id, period, assessment, comment
FROM ils_assessment;

CREATE VIEW v_comment AS
SELECT org_id, period, kind, text
FROM ils_comment;

CREATE VIEW v_ledger AS
SELECT org_id, month, account, account_name, kind, outcome, budget, forecast
FROM ils_ledger;

CREATE VIEW v_personnel AS
SELECT org_id, month, headcount, fte, scheduled_hours, sick_hours
FROM ils_personnel;

CREATE VIEW v_load AS
SELECT load_id, started_at, finished_at, user_name, host_name, source, outcome, rows_inserted, rows_replaced, message
FROM ils_load;

CREATE VIEW v_load_file AS
SELECT load_id, file_name, sha256, rows_read, rows_inserted, rows_replaced
FROM ils_load_file;
