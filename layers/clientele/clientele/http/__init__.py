"""The API Gateway side: resolver, request parsing, auth claims, preconditions, problem details."""
