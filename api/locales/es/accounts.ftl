# accounts

# Contraseñas
password-too-short = la contraseña debe tener al menos { $min } caracteres
password-too-long = la contraseña puede tener como máximo { $max } caracteres
password-too-common = la contraseña es demasiado común
password-has-email = la contraseña no debe contener la dirección de correo
password-has-name = la contraseña no debe contener el nombre
password-one-character = la contraseña no debe repetir un solo carácter

# Registro, sesiones y administración de cuentas
account-email-invalid = el correo no es una dirección válida
account-name-required = el nombre es obligatorio
account-name-too-long = el nombre puede tener como máximo { $max } caracteres
account-email-taken = ya existe una cuenta con este correo
refresh-token-invalid = el token de renovación no es válido
session-not-found = no existe esa sesión
user-not-found = no existe ese usuario
admin-cannot-suspend-self = un administrador no puede suspenderse a sí mismo

# Autogestión de la cuenta
email-already-verified = tu correo ya está verificado
email-unchanged = el correo nuevo es igual al actual
account-open-orders = { $count ->
        [one] tienes un pedido abierto: ciérralo antes de eliminar la cuenta
       *[other] tienes { $count } pedidos abiertos: ciérralos antes de eliminar la cuenta
    }
