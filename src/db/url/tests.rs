//! The URL parser's unit tests: libpq's syntax, the allow-list, refusals that quote nothing.
use super::*;

fn pg(raw: &str) -> (String, String) {
    match DatabaseUrl::parse(Some(raw)) {
        Ok(u @ DatabaseUrl::Postgres { .. }) => {
            let DatabaseUrl::Postgres { conninfo, .. } = &u else { unreachable!() };
            (conninfo.clone(), u.redacted())
        }
        other => panic!("{raw}: {other:?}"),
    }
}

fn refused(raw: &str) -> String {
    match DatabaseUrl::parse(Some(raw)) {
        Err(e @ Error::BadUrl { .. }) => {
            assert_eq!(e.exit_code(), 2, "{raw}");
            e.to_string()
        }
        other => panic!("{raw}: {other:?}"),
    }
}

#[test]
fn picks_backend_by_scheme() {
    for (raw, path) in [
        ("sqlite://x.db", "x.db"),
        ("sqlite:///tmp/x.db", "/tmp/x.db"),
        ("file:x.db", "x.db"),
        ("./a/b.db", "./a/b.db"),
        ("b.db", "b.db"),
        ("./odd:name.db", "./odd:name.db"),
        ("postgres/x.db", "postgres/x.db"),
        ("./postgres//x.db", "./postgres//x.db"),
    ] {
        let u = DatabaseUrl::parse(Some(raw)).unwrap();
        assert_eq!(u.sqlite_path().unwrap(), Path::new(path), "{raw}");
    }
    assert_eq!(DatabaseUrl::parse(None).unwrap().sqlite_path().unwrap(), Path::new("faqlink.db"));
}

#[test]
fn refused_schemes_are_named_only_from_faqlinks_own_list() {
    let err = refused("mysql://u:s3cret@h/db");
    assert!(err.contains("unknown scheme `mysql`"), "{err}");
    for raw in ["postgress://u@h/db?passwd=Qz9s3cret", "Qz9s3cret:x@h", "postgre://u:Qz9s3cret@h/db"] {
        let err = refused(raw);
        assert!(!err.contains("Qz9") && !err.contains("postgress") && !err.contains("passwd"), "{raw}: {err}");
    }
    assert!(refused("postgress://u@h/db").contains("a typo?"));
}

#[test]
fn the_printed_form_is_an_allow_list() {
    for (raw, printed) in [
        (
            "postgres://bob:p%40ss%2Fw0rd@h:5432/db?password=qs3cret&sslmode=disable",
            "postgres://bob@h:5432/db?password=***&sslmode=disable",
        ),
        ("postgres://bob@h/db?sslpassword=k3y", "postgres://bob@h/db?sslpassword=***"),
        ("postgres://bob@h/db?PASSWORD=k3y", "postgres://bob@h/db?password=***"),
        ("Postgres://u@h1:5432,h2:5433/db", "postgres://u@h1:5432,h2:5433/db"),
        ("postgresql://[::1]:5433/db?connect_timeout=3", "postgresql://[::1]:5433/db?connect_timeout=3"),
        ("postgres://%2Ftmp/db?host=h&application_name=k3y", "postgres:///db?host=h&application_name=***"),
        ("postgres://u@h/db?sslmode=k3y&connect_timeout=k3y", "postgres://u@h/db?sslmode=***&connect_timeout=***"),
        (
            "host=h port = 5432 user=bob password='p w\\'d' dbname='my db' options='-c statement_timeout=1'",
            "host=h port=5432 user=bob password=*** dbname='my db' options=***",
        ),
        (
            "host=h passfile=/k3y sslmode=require target_session_attrs=k3y",
            "host=h passfile=*** sslmode=require target_session_attrs=***",
        ),
        ("HOST=h Password=k3y", "host=h password=***"),
        ("host=h dbname=a\\ b", "host=h dbname='a b'"),
    ] {
        let (_, got) = pg(raw);
        assert_eq!(got, printed, "{raw}");
        assert!(!got.contains("k3y") && !got.contains("qs3") && !got.contains("w0rd"), "{raw}: {got}");
    }
    let u = DatabaseUrl::parse(Some("postgres://bob:pw@h/db")).unwrap();
    assert_eq!(format!("{u} {u:?}"), "postgres://bob:***@h/db DatabaseUrl(postgres://bob:***@h/db)");
}

#[test]
fn libpq_gets_exactly_the_values_faqlink_parsed() {
    for (raw, conninfo) in [
        ("postgres://u:a:b@h/db", "user='u' password='a:b' host='h' dbname='db' connect_timeout=10"),
        ("postgres://u:a%23b%40c@h/d%2Fb", "user='u' password='a#b@c' host='h' dbname='d/b' connect_timeout=10"),
        ("POSTGRESQL://u@h/db?connect_timeout=2", "user='u' host='h' dbname='db' connect_timeout='2'"),
        ("postgres://u@h1:5432,h2:5433/db", "user='u' host='h1,h2' port='5432,5433' dbname='db' connect_timeout=10"),
        ("postgres://h1,h2:5433", "host='h1,h2' port=',5433' connect_timeout=10"),
        (
            "postgres://h/db?ssl=true&password=a+b/c?d",
            "host='h' dbname='db' sslmode='require' password='a+b/c?d' connect_timeout=10",
        ),
        ("postgres://h/db?user=x&host=y", "dbname='db' user='x' host='y' connect_timeout=10"),
        ("postgres://", "connect_timeout=10"),
        (
            "host=h password='it\\'s' dbname='x' options='-c statement_timeout=1'",
            "host='h' password='it\\'s' dbname='x' options='-c statement_timeout=1' connect_timeout=10",
        ),
        ("host=h password=my\\ pw", "host='h' password='my pw' connect_timeout=10"),
        ("host=h password=a\\\\b", "host='h' password='a\\\\b' connect_timeout=10"),
    ] {
        assert_eq!(pg(raw).0, conninfo, "{raw}");
    }
}

#[test]
fn a_url_byte_that_must_be_percent_encoded_is_refused_without_quoting_anything() {
    let reserved = "@/?#[] \"<>\\^`{|}%\u{e9}\u{7f}\t";
    for c in reserved.chars() {
        for at in ["Qz9", ""] {
            let raw = format!("postgres://u:{at}{c}Qz9x@h/db");
            let err = refused(&raw);
            assert!(!err.contains("Qz9"), "{raw}: {err}");
            assert!(err.contains("percent-encoded"), "{raw}: {err}");
        }
        // In the query, `/` and `?` are allowed raw (RFC 3986); `@` would end a userinfo.
        if !"/?".contains(c) {
            let raw = format!("postgres://u@h/db?password=Qz9{c}Qz9x");
            let err = refused(&raw);
            assert!(!err.contains("Qz9"), "{raw}: {err}");
        }
    }
    for raw in [
        "postgres://u:Qz9%zzx@h/db",
        "postgres://u:Qz9%00x@h/db",
        "postgres://u:Qz9%ffx@h/db",
        "postgres://u@h/db?Qz9x",
        "postgres://u@h/db?password=a=Qz9x",
        "postgres://u@h/db?passwd=Qz9x",
        "postgres://u@h/db?a=1&&password=Qz9x",
        "postgres://u:Qz9x@h:notaport/db",
        "postgres://u:Qz9x@h:99999/db",
        "postgres://u:Qz9x@[::1/db",
        "postgres://u:Qz9x@[]/db",
        "postgres://u:Qz9x@[::1]x/db",
    ] {
        let err = refused(raw);
        assert!(!err.contains("Qz9"), "{raw}: {err}");
    }
}

#[test]
fn near_misses_are_refused_without_quoting_anything() {
    for raw in [
        "postgres//u:Qz9s3cret@h/db",
        "postgres:/u:Qz9s3cret@h/db",
        "postgresql:u:Qz9s3cret@h/db",
        "postgres:Qz9s3cret",
        "\"postgres://u:Qz9s3cret@h/db\"",
        "'postgres://u:Qz9s3cret@h/db'",
        "u:Qz9s3cret@h/db",
        "sqlite://u:Qz9s3cret@h/db",
        "file:u:Qz9s3cret@h",
        "x=1 password=Qz9s3cret",
        "host=h passwd=Qz9s3cret",
        "host=h pwd=Qz9s3cret",
        "host=h pasword=Qz9s3cret",
        "host=h db_password=Qz9s3cret",
        "host=h PGPASSWORD=Qz9s3cret",
        "host=h password=Qz9 s3cret",
        "host=h password=Qz9s3 cret=x",
        "host=h password='Qz9s3cret",
        "host=h password=Qz9s3cret dbname",
        "host=h port=Qz9s3cret",
        "a=b.db",
        "dir/password=Qz9s3cret",
        "ftp://u:Qz9s3cret@h/db?password=Qz9s3cret",
        "http://h/x?password=Qz9s3cret",
    ] {
        let err = refused(raw);
        assert!(!err.contains("Qz9") && !err.contains("s3cret") && !err.contains("cret"), "{raw}: {err}");
    }
}

#[test]
fn libpq_messages_are_shown_only_when_the_parse_vouches_for_them() {
    let u = DatabaseUrl::parse(Some("postgres://u:Qz9secret@127.0.0.1:1/db")).unwrap();
    let msg = "connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n\tIs the server running";
    assert_eq!(
        u.connect_failure(msg),
        "connection to server at \"127.0.0.1\", port 1 failed: Connection refused; Is the server running"
    );
    // A hidden value that is an ordinary word hides any message holding a window of it.
    let word = DatabaseUrl::parse(Some("postgres://u:server@127.0.0.1:1/db")).unwrap();
    assert!(word.connect_failure(msg).starts_with("connection refused (is the server running"));
    let db = "connection to server at \"127.0.0.1\", port 1 failed: FATAL:  database \"db\" does not exist";
    assert!(u.connect_failure(db).ends_with("database \"db\" does not exist"), "{}", u.connect_failure(db));
    // A quoted value the parse does not show: faqlink's words for the class.
    let leak = "connection to server at \"127.0.0.1\", port 1 failed: FATAL:  role \"u#Qz9\" does not exist";
    let shown = u.connect_failure(leak);
    assert!(shown.starts_with("authentication failed") && !shown.contains("Qz9"), "{shown}");
    assert!(!u.connect_failure("odd \"Qz9").contains("Qz9"));
    let socket = DatabaseUrl::parse(Some("host=/tmp port=5433 password=x")).unwrap();
    let msg = "connection to server on socket \"/tmp/.s.PGSQL.5433\" failed: No such file or directory";
    assert_eq!(socket.connect_failure(msg), msg);
    // An unquoted echo of any hidden value, whole, in part or in another case, is not shown.
    for (raw, echo) in [
        ("host=h options='-c Sec9retXy'", "FATAL:  -c Sec9retXy requires a value"),
        ("host=h options='-c Sec9retXy'", "FATAL:  invalid option: sec9retxy"),
        ("host=h application_name=Sec9retXy", "FATAL:  bad name Sec9ret"),
        ("host=h sslpassword=Sec9retXy", "could not decrypt: 9ret"),
        ("postgres://h/db?options=-c%20Sec9retXy", "FATAL:  -c Sec9retXy requires a value"),
        ("postgres://u:Sec9retXy@h/db", "FATAL:  no entry for cXy; ... Sec9 here"),
        ("host=h password=ab", "FATAL:  got ab"),
    ] {
        let u = DatabaseUrl::parse(Some(raw)).unwrap();
        let shown = u.connect_failure(echo);
        assert!(shown.contains("libpq's message is not shown") && !shown.contains(echo), "{raw}: {shown}");
    }
    let opts = DatabaseUrl::parse(Some("host=h options='-c Sec9retXy'")).unwrap();
    assert!(opts.connect_failure("FATAL:  -c Sec9retXy requires a value").starts_with("libpq or the server rejected"));
    // Control characters never reach the terminal.
    let plain = DatabaseUrl::parse(Some("postgres://u@h/db")).unwrap();
    assert_eq!(plain.connect_failure("a\n b\u{1b}[31m"), "a; b\\u{1b}[31m");
}

#[test]
fn dotenv_lines_that_do_not_parse_are_named_by_number_only() {
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join(".env");
    assert_eq!(database_url_from_dotenv(&env).unwrap(), None);
    std::fs::write(&env, "# c\nA=1\nSOME_API_KEY=sk-live-abc and more\nDATABASE_URL=x.db\n").unwrap();
    let err = database_url_from_dotenv(&env).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    let err = err.to_string();
    assert!(err.contains("line 3") && !err.contains("sk-live"), "{err}");
    std::fs::write(&env, "A=1\nexport DATABASE_URL=\"postgres://u:p w@h/db\"\nDATABASE_URL=y.db\n").unwrap();
    assert_eq!(database_url_from_dotenv(&env).unwrap().as_deref(), Some("postgres://u:p w@h/db"));
}

#[test]
fn dotenv_is_read_only_from_a_regular_file_of_bounded_size() {
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join(".env");
    // A FIFO nobody writes to: refused at once, not waited on.
    rustix::fs::mkfifoat(rustix::fs::CWD, &env, rustix::fs::Mode::from_raw_mode(0o600)).unwrap();
    let started = std::time::Instant::now();
    let err = database_url_from_dotenv(&env).unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert_eq!(err.exit_code(), 2, "{err}");
    assert!(err.to_string().contains("not a regular file"), "{err}");
    std::fs::remove_file(&env).unwrap();
    // An endless device, through a symlink.
    std::os::unix::fs::symlink("/dev/zero", &env).unwrap();
    let err = database_url_from_dotenv(&env).unwrap_err();
    assert!(err.exit_code() == 2 && err.to_string().contains("not a regular file"), "{err}");
    std::fs::remove_file(&env).unwrap();
    // A folder.
    std::fs::create_dir(&env).unwrap();
    assert_eq!(database_url_from_dotenv(&env).unwrap_err().exit_code(), 2);
    std::fs::remove_dir(&env).unwrap();
    // Too large.
    let mut big = "DATABASE_URL=x.db\n".to_string();
    big.push_str(&"#".repeat(DOTENV_MAX_BYTES as usize));
    std::fs::write(&env, big).unwrap();
    let err = database_url_from_dotenv(&env).unwrap_err();
    assert!(err.exit_code() == 2 && err.to_string().contains("larger than"), "{err}");
}
