//! argon2id hashing on a bounded pool of blocking threads, so a burst of
//! logins queues instead of starving the async workers.

use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::AppError;

/// Hashes and verifies passwords with the configured argon2id parameters.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
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
        let dummy_hash = hash_now(&params, &uuid::Uuid::new_v4().to_string())?;
        Ok(PasswordHasher {
            params,
            permits: Arc::new(Semaphore::new(workers)),
            dummy_hash: Arc::new(dummy_hash),
        })
    }

    /// The PHC string of `password`.
    pub async fn hash(&self, password: &str) -> Result<String, AppError> {
        let params = self.params.clone();
        let password = password.to_string();
        self.run(move || hash_now(&params, &password)).await?
    }

    /// True when `password` matches `stored`; `None` means "no such account",
    /// which is verified against the dummy hash and always false.
    pub async fn verify(&self, stored: Option<&str>, password: &str) -> Result<bool, AppError> {
        let matches_real = stored.is_some();
        let stored = stored.unwrap_or(&self.dummy_hash).to_string();
        let password = password.to_string();
        let ok = self
            .run(move || {
                let Ok(parsed) = PasswordHash::new(&stored) else {
                    return false;
                };
                // Verify with the parameters the hash was made with (PHC string).
                Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
            })
            .await?;
        Ok(ok && matches_real)
    }

    async fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| AppError::Internal("hash pool closed".into()))?;
        tokio::task::spawn_blocking(job)
            .await
            .map_err(|e| AppError::Internal(format!("hash task: {e}")))
    }
}

fn hash_now(params: &Params, password: &str) -> Result<String, AppError> {
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let salt = SaltString::generate(&mut OsRng);
    argon
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AppError::Internal(format!("argon2: {e}")))
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
}
