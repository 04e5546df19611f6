"""Business rules and use cases. Knows nothing of HTTP; talks to DynamoDB only through clientele.store."""
