# Account mail. Each has `-subject` and `-body` (plain text).

mail-verify-subject = Confirm your email address at TextiSur
mail-verify-body =
    Hello { $name },

    To confirm that this email address is yours, open this link:

    { $link }

    The link works once and expires in { $hours } hours. If you did not create a TextiSur account, ignore this message.

    The TextiSur team

mail-reset-subject = Reset your TextiSur password
mail-reset-body =
    Hello { $name },

    Someone (we hope you) asked to reset your account's password. To choose a new one, open this link:

    { $link }

    The link works once and expires in { $minutes } minutes. Using it signs you out everywhere. If you did not ask for it, ignore this message: your password stays as it is.

    The TextiSur team

mail-password-changed-subject = Your TextiSur password changed
mail-password-changed-body =
    Hello { $name },

    Your account's password was just changed and every session was signed out. If this was not you, ask for a password reset at once and write to us.

    The TextiSur team

mail-change-email-subject = Confirm your new email address at TextiSur
mail-change-email-body =
    Hello { $name },

    You asked to use this address for your TextiSur account. To confirm it, open this link:

    { $link }

    The link works once and expires in { $hours } hours. If you did not ask for it, ignore this message.

    The TextiSur team

mail-email-changed-subject = Your TextiSur account's email address changed
mail-email-changed-body =
    Hello { $name },

    Your TextiSur account no longer uses this email address: it was changed to another one, confirmed through the link we sent there. If this was not you, write to us at once.

    The TextiSur team
