//! Seeding N users straight into the database (no API, no per-user hash) and
//! timing argon2id with the server's parameters.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher as _, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use chrono::Utc;
use entity::user;
use sea_orm::{ActiveValue::Set, ConnectionTrait, Database, DbBackend, EntityTrait, TransactionTrait};

/// The password of every seeded user.
pub const PASSWORD: &str = "Loadbench-2026!";

/// Rows per INSERT: 11 bound columns × 2,500 stays under SQLite's 32,766
/// parameters (and PostgreSQL's 65,535).
const CHUNK: usize = 2_500;

/// Username of seeded user `i`.
pub fn username(i: usize) -> String {
    format!("bench{i:07}")
}

/// E.164 mobile of seeded user `i` (139 numbers; registration uses 137).
pub fn mobile(i: usize) -> String {
    format!("+86139{i:08}")
}

/// A fresh, unseeded mobile for registration number `i`.
pub fn register_mobile(i: usize) -> String {
    format!("+86137{i:08}")
}

/// One argon2id PHC hash of `password`, and how long it took.
pub fn hash_once(memory_kib: u32, iterations: u32, password: &str) -> Result<(String, Duration), String> {
    let params = Params::new(memory_kib, iterations, 1, None).map_err(|e| format!("argon2 parameters: {e}"))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let salt = SaltString::generate(&mut OsRng);
    let started = Instant::now();
    let hash = argon
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| format!("argon2: {e}"))?
        .to_string();
    Ok((hash, started.elapsed()))
}

/// The median of `runs` single-threaded hashes into one reused buffer, as
/// the server's hashing threads do: the CPU cost of one login.
pub fn median_hash_time(memory_kib: u32, iterations: u32, runs: usize) -> Result<Duration, String> {
    let params = Params::new(memory_kib, iterations, 1, None).map_err(|e| format!("argon2 parameters: {e}"))?;
    let mut blocks = vec![Block::new(); params.block_count()];
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let mut out = [0u8; 32];
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        argon
            .hash_password_into_with_memory(PASSWORD.as_bytes(), b"loadbench-salt16", &mut out, &mut blocks)
            .map_err(|e| format!("argon2: {e}"))?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

/// Hashes per second with `threads` threads hashing at once for about
/// `seconds`: what the cores really deliver in parallel, since argon2 is
/// memory-bound and concurrent hashes share caches and memory bandwidth.
/// Each thread first fills its buffer with one untimed hash, as the
/// server's long-lived hashing threads have: a fresh 19 MiB buffer's page
/// faults and zeroing, and the threads' start, would otherwise count
/// against a measurement as short as 0.5 s.
pub fn parallel_hash_rate(memory_kib: u32, iterations: u32, threads: usize, seconds: f64) -> Result<f64, String> {
    let params = Params::new(memory_kib, iterations, 1, None).map_err(|e| format!("argon2 parameters: {e}"))?;
    let threads = threads.max(1);
    let ready = Arc::new(Barrier::new(threads));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (params, ready) = (params.clone(), ready.clone());
            std::thread::spawn(move || {
                let mut blocks = vec![Block::new(); params.block_count()];
                let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
                let mut out = [0u8; 32];
                let mut hash = || {
                    argon
                        .hash_password_into_with_memory(PASSWORD.as_bytes(), b"loadbench-salt16", &mut out, &mut blocks)
                        .is_ok()
                };
                let warm = hash();
                ready.wait();
                let started = Instant::now();
                let deadline = started + Duration::from_secs_f64(seconds);
                let mut done = 0u64;
                while warm && Instant::now() < deadline && hash() {
                    done += 1;
                }
                (done, started.elapsed())
            })
        })
        .collect();
    let mut rate = 0.0;
    for worker in workers {
        let (done, elapsed) = worker.join().map_err(|_| "argon2 thread panicked".to_string())?;
        rate += done as f64 / elapsed.as_secs_f64().max(1e-9);
    }
    Ok(rate)
}

/// Inserts users `from..to` in transactions of `CHUNK`-row INSERTs, all
/// sharing `hash`. Returns how long it took.
pub async fn seed_users(database_url: &str, from: usize, to: usize, hash: &str) -> Result<Duration, String> {
    let started = Instant::now();
    let db = Database::connect(database_url)
        .await
        .map_err(|e| format!("seed: connect {database_url}: {e}"))?;
    let now = Utc::now();
    let mut next = from;
    while next < to {
        // One transaction per 100,000 rows: few fsyncs, bounded journal.
        let txn_end = (next + 100_000).min(to);
        let txn = db.begin().await.map_err(|e| format!("seed: begin: {e}"))?;
        while next < txn_end {
            let end = (next + CHUNK).min(txn_end);
            let rows = (next..end).map(|i| user::ActiveModel {
                username: Set(Some(username(i))),
                username_key: Set(Some(username(i))),
                mobile: Set(Some(mobile(i))),
                password_hash: Set(Some(hash.to_string())),
                gender: Set(entity::user::Gender::Unknown),
                pay_password_failures: Set(0),
                role: Set(entity::user::Role::User),
                status: Set(entity::user::UserStatus::Active),
                token_version: Set(0),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
            // No RETURNING: PostgreSQL would send back 2,500 ids per INSERT.
            user::Entity::insert_many(rows)
                .exec_without_returning(&txn)
                .await
                .map_err(|e| format!("seed: insert users {next}..{end}: {e}"))?;
            next = end;
        }
        txn.commit().await.map_err(|e| format!("seed: commit: {e}"))?;
    }
    if db.get_database_backend() == DbBackend::Postgres {
        // What an operator does after a bulk load: otherwise autovacuum
        // analyses the fresh rows on the same two cores during the first
        // rounds, and every first read of a page writes its hint bits.
        db.execute_unprepared("VACUUM (ANALYZE) users")
            .await
            .map_err(|e| format!("seed: vacuum: {e}"))?;
    }
    db.close().await.map_err(|e| format!("seed: close: {e}"))?;
    Ok(started.elapsed())
}
