//! `addReview`: buyers rate what was delivered to them, once per product.

use async_graphql::{Context, ID, Object, Result, SimpleObject};

use super::{Review, db};
use crate::graphql::context::RequestContext;
use crate::graphql::error::ApiError;
use crate::graphql::guards::SignedIn;
use crate::graphql::ids::ProductId;
use crate::graphql::plain_text::{PlainText, PlainTextError};
use crate::graphql::user_errors::{UserError, UserErrorCode};

/// Longest review body, in characters, as typed and as stored.
pub const REVIEW_MAX_CHARS: usize = 2000;

/// Result of `addReview`.
#[derive(SimpleObject, Default)]
pub struct ReviewPayload {
    /// The review as stored; null when there are user errors.
    pub review: Option<Review>,
    /// Why nothing was written; empty on success.
    pub user_errors: Vec<UserError>,
    /// Pass it as `consistencyToken` to a listing to be sure it sorts and filters by the new
    /// rating.
    pub consistency_token: Option<String>,
}

impl ReviewPayload {
    fn errors(user_errors: Vec<UserError>) -> Self {
        Self {
            review: None,
            user_errors,
            consistency_token: None,
        }
    }
}

/// Review mutations.
#[derive(Default)]
pub struct ReviewMutations;

#[Object]
impl ReviewMutations {
    /// Reviews a product delivered to the caller: one review per buyer and product, rating
    /// 1 to 5, an optional body stripped of all markup (like a message's). The store's own
    /// accounts may not review its products (`NOT_ELIGIBLE`), nor may anyone with no
    /// delivered order of it. A second review of the same product is `TAKEN`. The product's
    /// rating and reviewCount, and its store's rating, include it as soon as this returns.
    /// User errors: TOO_LONG, TAKEN, NOT_FOUND, OUT_OF_RANGE, NOT_ELIGIBLE.
    /// Restricted: signed-in users.
    #[graphql(guard = "SignedIn")]
    async fn add_review(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The product's global id.")] product_id: ID,
        #[graphql(desc = "The rating, a whole number from 1 to 5.")] rating: i32,
        #[graphql(
            desc = "What the buyer thinks, at most 2,000 characters as typed and once stored; markup is stripped and `&`, `<` and `>` escaped. Null or blank: a rating alone."
        )]
        body: Option<String>,
    ) -> Result<ReviewPayload> {
        let rc = RequestContext::of(ctx);
        let author = rc.viewer.user_id().ok_or(ApiError::Unauthenticated)?;
        let mut errors = Vec::new();
        let product = ProductId::from_global(&product_id).ok();
        if product.is_none() {
            errors.push(UserError::at(
                &["productId"],
                UserErrorCode::NotFound,
                crate::tr!("product-not-found"),
            ));
        }
        let rating = match i16::try_from(rating) {
            Ok(r) if (1..=5).contains(&r) => r,
            _ => {
                errors.push(UserError::at(
                    &["rating"],
                    UserErrorCode::OutOfRange,
                    crate::tr!("review-rating-out-of-range"),
                ));
                0
            }
        };
        let body = match body
            .as_deref()
            .map(|b| PlainText::parse(b, REVIEW_MAX_CHARS))
        {
            None | Some(Err(PlainTextError::Empty)) => None,
            Some(Ok(body)) => Some(body),
            Some(Err(PlainTextError::TooLong)) => {
                errors.push(UserError::at(
                    &["body"],
                    UserErrorCode::TooLong,
                    crate::tr!("review-too-long", max = REVIEW_MAX_CHARS),
                ));
                None
            }
        };
        let Some(product) = product.filter(|_| errors.is_empty()) else {
            return Ok(ReviewPayload::errors(errors));
        };
        let review = db::NewReview {
            product,
            author,
            rating,
            body,
        };
        match db::add(&rc.db, &review).await? {
            Ok(review) => Ok(ReviewPayload {
                review: Some(review),
                user_errors: Vec::new(),
                consistency_token: rc.after_write().await,
            }),
            Err(error) => Ok(ReviewPayload::errors(vec![error])),
        }
    }
}
