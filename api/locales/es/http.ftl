# Respuestas del protocolo HTTP y de los límites de consulta
