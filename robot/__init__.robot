*** Settings ***
Documentation     The Mining Marketplace integration suite.
...               Starts the local stack unless API_URL and DATABASE_URL name a deployment.

Resource          ../keywords/stack.resource
Resource          ../keywords/invariants.resource

Suite Setup       Start Stack And Note When The Run Started
Suite Teardown    Stop Stack After Checking Invariants And The Gateways
# Nothing in the suite needs more; a hung call or lock fails its test instead of the run.
Test Timeout      2 minutes
