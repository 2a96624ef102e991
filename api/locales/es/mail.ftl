# Correos de la cuenta. Cada uno tiene `-subject` (asunto) y `-body` (texto plano).

mail-verify-subject = Confirma tu correo en TextiSur
mail-verify-body =
    Hola, { $name }:

    Para confirmar que esta dirección de correo es tuya, abre este enlace:

    { $link }

    El enlace sirve una sola vez y vence en { $hours } horas. Si no creaste una cuenta en TextiSur, ignora este mensaje.

    El equipo de TextiSur

mail-reset-subject = Restablece tu contraseña de TextiSur
mail-reset-body =
    Hola, { $name }:

    Alguien (esperamos que tú) pidió restablecer la contraseña de tu cuenta. Para elegir una nueva, abre este enlace:

    { $link }

    El enlace sirve una sola vez y vence en { $minutes } minutos. Al usarlo se cierran todas tus sesiones. Si no lo pediste, ignora este mensaje: tu contraseña no cambia.

    El equipo de TextiSur

mail-password-changed-subject = Tu contraseña de TextiSur cambió
mail-password-changed-body =
    Hola, { $name }:

    La contraseña de tu cuenta acaba de cambiar y se cerraron todas tus sesiones. Si no fuiste tú, pide un restablecimiento de contraseña de inmediato y escríbenos.

    El equipo de TextiSur

mail-change-email-subject = Confirma tu nuevo correo en TextiSur
mail-change-email-body =
    Hola, { $name }:

    Pediste usar esta dirección para tu cuenta de TextiSur. Para confirmarla, abre este enlace:

    { $link }

    El enlace sirve una sola vez y vence en { $hours } horas. Si no lo pediste, ignora este mensaje.

    El equipo de TextiSur

mail-email-changed-subject = El correo de tu cuenta de TextiSur cambió
mail-email-changed-body =
    Hola, { $name }:

    Tu cuenta de TextiSur ya no usa esta dirección de correo: se cambió por otra confirmada desde el enlace que le enviamos. Si no fuiste tú, escríbenos de inmediato.

    El equipo de TextiSur
