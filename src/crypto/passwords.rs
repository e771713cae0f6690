//! argon2id hashing on a fixed pool of dedicated threads, so a burst of
//! logins queues instead of starving the async workers.
//!
//! Why dedicated threads and not `spawn_blocking` behind a semaphore: tokio's
//! blocking pool runs each hash on whichever of its (up to 512) threads is
//! free, and glibc gives every such thread its own malloc arena, each keeping
//! a freed 19 MiB argon2 buffer. The load benchmark (BENCHMARKS.md) saw the
//! server grow from 27 MiB to 400 MiB after a login storm. Here `workers`
//! long-lived threads each keep one argon2 buffer and reuse it for every hash
//! (no allocation, page faults or zeroing per login), so the memory that
//! hashing holds is exactly `workers` × m KiB.

use std::sync::{Arc, Mutex, mpsc};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::error::AppError;

/// Hashes and verifies passwords with the configured argon2id parameters.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    /// Queue of the hashing threads; they exit when the last clone is dropped.
    jobs: mpsc::Sender<Job>,
    /// A real hash of a random password: unknown accounts verify against it
    /// so they cost as much time as known ones.
    dummy_hash: Arc<String>,
}

impl PasswordHasher {
    /// `workers` = concurrent hashes (0 = one per core).
    pub fn new(memory_kib: u32, iterations: u32, workers: usize) -> Result<Self, AppError> {
        let params = Params::new(memory_kib, iterations, 1, None)
            .map_err(|e| AppError::Internal(format!("argon2 parameters: {e}")))?;
        let workers = if workers == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            workers
        };
        let dummy_hash = hash_now(&params, &uuid::Uuid::new_v4().to_string(), &mut Vec::new())?;
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..workers {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || hash_worker(&queue))
                .map_err(|e| AppError::Internal(format!("hash thread: {e}")))?;
        }
        Ok(PasswordHasher {
            params,
            jobs,
            dummy_hash: Arc::new(dummy_hash),
        })
    }

    /// The PHC string of `password`.
    pub async fn hash(&self, password: &str) -> Result<String, AppError> {
        let params = self.params.clone();
        let password = nfc(password);
        self.run(move |blocks| hash_now(&params, &password, blocks)).await?
    }

    /// True when `password` matches `stored`; `None` means "no such account",
    /// which is verified against the dummy hash and always false.
    /// Passwords are compared in Unicode NFC, so `café` typed as one
    /// code point or as `e` + combining accent is one password. A hash made
    /// before normalisation (of the text as typed) still verifies: when the
    /// NFC form fails and differs from the input, the input is tried too.
    pub async fn verify(&self, stored: Option<&str>, password: &str) -> Result<bool, AppError> {
        let matches_real = stored.is_some();
        let stored = stored.unwrap_or(&self.dummy_hash).to_string();
        let normalised = nfc(password);
        let as_typed = (normalised != password).then(|| password.to_string());
        let ok = self
            .run(move |blocks| {
                verify_now(&stored, &normalised, blocks)
                    || as_typed.is_some_and(|raw| verify_now(&stored, &raw, blocks))
            })
            .await?;
        Ok(ok && matches_real)
    }

    /// Queues `job` for the hashing threads and waits for its result.
    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let (done, result) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |blocks: &mut Vec<Block>| {
                let _ = done.send(job(blocks));
            }))
            .map_err(|_| AppError::Internal("hash pool closed".into()))?;
        result.await.map_err(|_| AppError::Internal("hash task failed".into()))
    }
}

/// A queued hash or verify; it gets the thread's reusable argon2 buffer.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// One hashing thread: runs jobs until every sender is gone.
/// Lowers this thread's priority (on Linux, nice 10): a login storm keeps
/// both cores hashing, and a token check must not queue behind 20 ms of
/// argon2. Hashing still takes every cycle nothing else wants.
fn yield_to_requests() {
    use thread_priority::{ThreadPriority, ThreadPriorityValue, set_current_thread_priority};
    let lowered = ThreadPriorityValue::try_from(HASH_THREAD_PRIORITY)
        .map_err(|err| err.to_string())
        .and_then(|value| {
            set_current_thread_priority(ThreadPriority::Crossplatform(value)).map_err(|err| err.to_string())
        });
    if let Err(err) = lowered {
        tracing::warn!(%err, "hash threads keep the default priority");
    }
}

/// thread-priority's cross-platform scale (0–99, 50 = the default): 22 is nice 10 on Linux.
const HASH_THREAD_PRIORITY: u8 = 22;

fn hash_worker(queue: &Mutex<mpsc::Receiver<Job>>) {
    yield_to_requests();
    // Grown on the first hash, then reused for the life of the thread.
    let mut blocks: Vec<Block> = Vec::new();
    loop {
        // The lock is held only while waiting for the next job, not while hashing.
        let next = match queue.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        match next {
            Ok(job) => job(&mut blocks),
            Err(_) => return,
        }
    }
}

fn hash_now(params: &Params, password: &str, blocks: &mut Vec<Block>) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    compute(
        Algorithm::Argon2id,
        Version::V0x13,
        params,
        password,
        salt.as_salt(),
        output_len,
        blocks,
    )
    .map(|hash| hash.to_string())
    .map_err(|e| AppError::Internal(format!("argon2: {e}")))
}

/// Checks `password` with the algorithm and parameters the PHC string `stored` names.
fn verify_now(stored: &str, password: &str, blocks: &mut Vec<Block>) -> bool {
    let mut check = || -> Result<bool, argon2::password_hash::Error> {
        let parsed = PasswordHash::new(stored)?;
        let algorithm = Algorithm::try_from(parsed.algorithm)?;
        let version = parsed.version.map(Version::try_from).transpose()?.unwrap_or_default();
        let params = Params::try_from(&parsed)?;
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Ok(false);
        };
        let computed = compute(algorithm, version, &params, password, salt, expected.len(), blocks)?;
        // `Output`'s equality is constant-time.
        Ok(computed.hash == Some(expected))
    };
    check().unwrap_or(false)
}

/// argon2 of `password` into the caller's buffer: the allocation-free form of
/// `PasswordHasher::hash_password`. A hash that needs more memory than the
/// buffer holds gets a temporary one, so the kept buffer never grows past the
/// largest configured cost it has seen.
fn compute<'a>(
    algorithm: Algorithm,
    version: Version,
    params: &Params,
    password: &str,
    salt: Salt<'a>,
    output_len: usize,
    blocks: &mut Vec<Block>,
) -> Result<PasswordHash<'a>, argon2::password_hash::Error> {
    let needed = params.block_count();
    if blocks.is_empty() {
        blocks.resize(needed, Block::new());
    }
    let mut temporary = Vec::new();
    let memory: &mut [Block] = if blocks.len() >= needed {
        &mut blocks[..needed]
    } else {
        temporary.resize(needed, Block::new());
        &mut temporary[..]
    };
    let argon = Argon2::new(algorithm, version, params.clone());
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
    let output = Output::init_with(output_len, |out| {
        argon
            .hash_password_into_with_memory(password.as_bytes(), salt_bytes, out, &mut *memory)
            .map_err(Into::into)
    })?;
    Ok(PasswordHash {
        algorithm: algorithm.ident(),
        version: Some(version.into()),
        params: ParamsString::try_from(params)?,
        salt: Some(salt),
        hash: Some(output),
    })
}

/// The Unicode NFC form of a password.
fn nfc(password: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    password.nfc().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_argon2id_and_verifies() {
        let hasher = PasswordHasher::new(19456, 2, 1).expect("params");
        let hash = hasher.hash("correct horse").await.expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(hasher.verify(Some(&hash), "correct horse").await.expect("verify"));
        assert!(!hasher.verify(Some(&hash), "wrong horse").await.expect("verify"));
        assert!(!hasher.verify(None, "correct horse").await.expect("verify"));
    }

    #[tokio::test]
    async fn verifies_hashes_made_by_the_argon2_crate_with_other_costs() {
        use argon2::password_hash::PasswordHasher as _;
        let params = Params::new(4096, 3, 1, None).expect("params");
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let salt = SaltString::generate(&mut OsRng);
        let stored = argon.hash_password(b"battery staple", &salt).expect("hash").to_string();
        let hasher = PasswordHasher::new(19456, 2, 1).expect("params");
        assert!(hasher.verify(Some(&stored), "battery staple").await.expect("verify"));
        assert!(!hasher.verify(Some(&stored), "battery stapler").await.expect("verify"));
        assert!(!hasher.verify(Some("not a phc string"), "x").await.expect("verify"));
    }

    #[tokio::test]
    async fn nfc_and_nfd_spellings_are_one_password_and_old_hashes_still_verify() {
        let hasher = PasswordHasher::new(4096, 1, 1).expect("params");
        let composed = "caf\u{e9}-password";
        let decomposed = "cafe\u{301}-password";
        let hash = hasher.hash(decomposed).await.expect("hash");
        assert!(hasher.verify(Some(&hash), composed).await.expect("verify"));
        assert!(hasher.verify(Some(&hash), decomposed).await.expect("verify"));
        // A hash made before normalisation, of the decomposed text as typed.
        use argon2::password_hash::PasswordHasher as _;
        let params = Params::new(4096, 1, 1, None).expect("params");
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let salt = SaltString::generate(&mut OsRng);
        let legacy = argon
            .hash_password(decomposed.as_bytes(), &salt)
            .expect("hash")
            .to_string();
        assert!(hasher.verify(Some(&legacy), decomposed).await.expect("verify"));
        assert!(!hasher.verify(Some(&legacy), "cafe-password").await.expect("verify"));
    }
}
