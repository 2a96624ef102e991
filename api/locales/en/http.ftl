# Answers of the HTTP protocol layer and the query limits
