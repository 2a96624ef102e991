//! Brute-force protection for login and registration, through governor.
//!
//! The strict tier is keyed by account *and* client address: a stranger's wrong guesses
//! throttle only that stranger's address, never the owner signing in from elsewhere. It has
//! two steps, so back-off grows: 10 attempts a minute, and 30 an hour on top, after which the
//! wait is minutes rather than seconds. A looser tier per account (200 an hour from all
//! addresses together) still stops a guesser spread over many addresses, and a per-address
//! tier (60 a minute) stops one address trying many accounts. An IPv6 client counts as its
//! /64, so hopping through one's own network buys nothing. The keyed limiters forget idle
//! keys every minute ([`AuthLimits::forget_idle`]) so their memory stays bounded.
//!
//! governor is the first stage, in this process. The same tiers are then checked together in
//! Redis ([`GlobalLimits`], one round trip), so a guesser spreading attempts over replicas
//! behind a load balancer gets one budget, not one per replica. Accounts are named in Redis
//! by a hash of their address, never the address itself.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};

use crate::runtime::global_limits::{GlobalLimits, Tier};

/// Attempts allowed before throttling.
#[derive(Clone, Debug)]
pub struct AuthLimitConfig {
    /// Strict tier: one account from one client address.
    pub login_per_account_and_ip_per_minute: u32,
    /// Strict tier's second step, for one account from one client address.
    pub login_per_account_and_ip_per_hour: u32,
    /// Looser tier: one account from all addresses together.
    pub login_per_account_per_hour: u32,
    pub login_per_ip_per_minute: u32,
    pub register_per_ip_per_hour: u32,
    /// Account mails (verification, password reset, email change) one address may be sent.
    pub account_mail_per_address_per_hour: u32,
    /// Account mails one client address may ask for, to any addresses.
    pub account_mail_per_ip_per_hour: u32,
}

impl Default for AuthLimitConfig {
    fn default() -> Self {
        Self {
            login_per_account_and_ip_per_minute: 10,
            login_per_account_and_ip_per_hour: 30,
            login_per_account_per_hour: 200,
            login_per_ip_per_minute: 60,
            register_per_ip_per_hour: 20,
            account_mail_per_address_per_hour: 5,
            account_mail_per_ip_per_hour: 30,
        }
    }
}

/// The keyed limiters of the accounts feature.
pub struct AuthLimits {
    account_ip_minute: DefaultKeyedRateLimiter<(String, IpAddr)>,
    account_ip_hour: DefaultKeyedRateLimiter<(String, IpAddr)>,
    account_hour: DefaultKeyedRateLimiter<String>,
    ip_minute: DefaultKeyedRateLimiter<IpAddr>,
    register_ip_hour: DefaultKeyedRateLimiter<IpAddr>,
    mail_address_hour: DefaultKeyedRateLimiter<String>,
    mail_ip_hour: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
    /// The same tiers in Redis, for every replica together.
    global: Arc<GlobalLimits>,
    tiers: Tiers,
}

/// The tiers' shapes, as Redis checks them.
struct Tiers {
    account_ip_minute: Tier,
    account_ip_hour: Tier,
    account_hour: Tier,
    ip_minute: Tier,
    register_ip_hour: Tier,
    mail_address_hour: Tier,
    mail_ip_hour: Tier,
}

/// An email address as a Redis key: a hash, so Redis holds no address.
fn account_key(email: &str) -> String {
    let digest = Sha256::digest(email.as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

fn per(n: u32, period: Duration) -> Quota {
    let n = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period / n.get())
        .unwrap_or_else(|| Quota::per_second(n))
        .allow_burst(n)
}

/// The address a limit counts: an IPv6 client is its /64, which one subscriber usually holds
/// whole, so walking through its addresses does not buy fresh attempts.
pub fn client_network(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(prefix.into())
        }
        v4 => v4,
    }
}

impl AuthLimits {
    /// Limiters with these quotas.
    pub fn new(config: &AuthLimitConfig) -> Self {
        let minute = Duration::from_secs(60);
        let hour = Duration::from_secs(3600);
        Self {
            account_ip_minute: RateLimiter::keyed(per(
                config.login_per_account_and_ip_per_minute,
                minute,
            )),
            account_ip_hour: RateLimiter::keyed(per(
                config.login_per_account_and_ip_per_hour,
                hour,
            )),
            account_hour: RateLimiter::keyed(per(config.login_per_account_per_hour, hour)),
            ip_minute: RateLimiter::keyed(per(config.login_per_ip_per_minute, minute)),
            register_ip_hour: RateLimiter::keyed(per(config.register_per_ip_per_hour, hour)),
            mail_address_hour: RateLimiter::keyed(per(
                config.account_mail_per_address_per_hour,
                hour,
            )),
            mail_ip_hour: RateLimiter::keyed(per(config.account_mail_per_ip_per_hour, hour)),
            clock: DefaultClock::default(),
            global: Arc::new(GlobalLimits::off()),
            tiers: Tiers {
                account_ip_minute: Tier::per(config.login_per_account_and_ip_per_minute, minute),
                account_ip_hour: Tier::per(config.login_per_account_and_ip_per_hour, hour),
                account_hour: Tier::per(config.login_per_account_per_hour, hour),
                ip_minute: Tier::per(config.login_per_ip_per_minute, minute),
                register_ip_hour: Tier::per(config.register_per_ip_per_hour, hour),
                mail_address_hour: Tier::per(config.account_mail_per_address_per_hour, hour),
                mail_ip_hour: Tier::per(config.account_mail_per_ip_per_hour, hour),
            },
        }
    }

    /// These limits, checked in `global` too after this process's own.
    pub fn shared(self, global: Arc<GlobalLimits>) -> Self {
        Self { global, ..self }
    }

    /// The Redis stage these limits share with the cost buckets.
    pub fn global(&self) -> &Arc<GlobalLimits> {
        &self.global
    }

    /// The Redis stage: `Err` with the wait when a tier refuses there. Redis out of reach or
    /// off: this process's limits have decided.
    async fn check_global(&self, tiers: &[(&str, Tier)]) -> Result<(), Duration> {
        match self.global.spend(tiers, 1).await {
            Some(verdict) if !verdict.allowed => {
                Err(verdict.retry_after.max(Duration::from_millis(1)))
            }
            _ => Ok(()),
        }
    }

    fn check<K: Clone + Hash + Eq>(
        &self,
        limiter: &DefaultKeyedRateLimiter<K>,
        key: &K,
    ) -> Result<(), Duration> {
        limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Spends one login attempt for `email` from `ip`; `Err` holds how long to wait.
    ///
    /// The tiers are checked narrowest first and the first refusal stops: an address already
    /// throttled on an account spends nothing of that account's shared tier, so one stranger
    /// cannot drain it for everyone.
    pub async fn login_attempt(&self, email: &str, ip: IpAddr) -> Result<(), Duration> {
        let ip = client_network(ip);
        let account_ip = (email.to_owned(), ip);
        self.check(&self.ip_minute, &ip)?;
        self.check(&self.account_ip_minute, &account_ip)?;
        self.check(&self.account_ip_hour, &account_ip)?;
        self.check(&self.account_hour, &account_ip.0)?;
        let account = account_key(email);
        let (by_ip, by_account_ip, by_account) = (
            format!("login:ip:{ip}"),
            format!("login:account-ip:{account}:{ip}"),
            format!("login:account:{account}"),
        );
        let t = &self.tiers;
        self.check_global(&[
            (&by_ip, t.ip_minute),
            (&format!("{by_account_ip}:minute"), t.account_ip_minute),
            (&format!("{by_account_ip}:hour"), t.account_ip_hour),
            (&by_account, t.account_hour),
        ])
        .await
    }

    /// Spends one registration from `ip`.
    pub async fn registration(&self, ip: IpAddr) -> Result<(), Duration> {
        let ip = client_network(ip);
        self.check(&self.register_ip_hour, &ip)?;
        let key = format!("register:ip:{ip}");
        self.check_global(&[(&key, self.tiers.register_ip_hour)])
            .await
    }

    /// Spends one account mail to `email` asked for from `ip`. Counted per address whether
    /// or not an account has it, so the limit says nothing about who is registered.
    pub async fn account_mail(&self, email: &str, ip: IpAddr) -> Result<(), Duration> {
        let ip = client_network(ip);
        self.check(&self.mail_ip_hour, &ip)?;
        self.check(&self.mail_address_hour, &email.to_owned())?;
        let (by_ip, by_address) = (
            format!("mail:ip:{ip}"),
            format!("mail:address:{}", account_key(email)),
        );
        self.check_global(&[
            (&by_ip, self.tiers.mail_ip_hour),
            (&by_address, self.tiers.mail_address_hour),
        ])
        .await
    }

    /// Drops the state of keys whose buckets are full again.
    pub fn forget_idle(&self) {
        self.account_ip_minute.retain_recent();
        self.account_ip_hour.retain_recent();
        self.account_hour.retain_recent();
        self.ip_minute.retain_recent();
        self.register_ip_hour.retain_recent();
        self.mail_address_hour.retain_recent();
        self.mail_ip_hour.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_eleventh_attempt_in_a_minute_waits() {
        let limits = AuthLimits::new(&AuthLimitConfig::default());
        let ip: IpAddr = [10, 0, 0, 1].into();
        for _ in 0..10 {
            assert!(limits.login_attempt("a@b.cl", ip).await.is_ok());
        }
        let wait = limits
            .login_attempt("a@b.cl", ip)
            .await
            .expect_err("throttled");
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(6));
        assert!(
            limits
                .login_attempt("c@d.cl", [10, 0, 0, 2].into())
                .await
                .is_ok()
        );
        // The same account from another address is not throttled by the first one's misses.
        assert!(
            limits
                .login_attempt("a@b.cl", [10, 0, 0, 3].into())
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn one_ipv6_network_counts_as_one_address() {
        let limits = AuthLimits::new(&AuthLimitConfig::default());
        for n in 0..10u16 {
            let ip = IpAddr::V6([0x2001, 0xdb8, 0, 1, 0, 0, 0, n].into());
            assert!(limits.login_attempt("a@b.cl", ip).await.is_ok());
        }
        let next: IpAddr = [0x2001, 0xdb8, 0, 1, 0xffff, 1, 2, 3].into();
        assert!(limits.login_attempt("a@b.cl", next).await.is_err());
        let elsewhere: IpAddr = [0x2001, 0xdb8, 0, 2, 0, 0, 0, 1].into();
        assert!(limits.login_attempt("a@b.cl", elsewhere).await.is_ok());
    }

    #[tokio::test]
    async fn many_addresses_together_reach_the_account_tier() {
        let limits = AuthLimits::new(&AuthLimitConfig {
            login_per_account_per_hour: 25,
            ..AuthLimitConfig::default()
        });
        let mut spent = 0;
        for n in 0..40u8 {
            let ip: IpAddr = [10, 0, 1, n / 5].into();
            if limits.login_attempt("a@b.cl", ip).await.is_err() {
                break;
            }
            spent += 1;
        }
        assert_eq!(spent, 25);
    }
}
