# accounts

# Passwords
password-too-short = password must have at least { $min } characters
password-too-long = password may have at most { $max } characters
password-too-common = password is too common
password-has-email = password must not contain the email address
password-has-name = password must not contain the name
password-one-character = password must not repeat one character

# Registration, sessions and account administration
account-email-invalid = email is not a valid address
account-name-required = name is required
account-name-too-long = name may have at most { $max } characters
account-email-taken = an account with this email exists
refresh-token-invalid = refresh token is not valid
session-not-found = no such session
user-not-found = no such user
admin-cannot-suspend-self = admins cannot suspend themselves

# Account self-service
email-already-verified = your email address is already verified
email-unchanged = the new email address is the current one
account-open-orders = { $count ->
        [one] you have an open order: close it before deleting the account
       *[other] you have { $count } open orders: close them before deleting the account
    }
