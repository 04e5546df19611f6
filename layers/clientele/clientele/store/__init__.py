"""DynamoDB access: keys, item shapes, transactions and queries. The only package that touches boto3's DynamoDB API."""
