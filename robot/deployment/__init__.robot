*** Settings ***
Documentation     Read-only checks of a deployment: safe against production after a release.
...               Starts the local stack unless API_URL names a deployment.

Resource          ../../keywords/stack.resource
Resource          ../../keywords/invariants.resource

Suite Setup       Start Stack Unless Given
Suite Teardown    Stop Stack After Checking Invariants
# Nothing in the suite needs more; a hung call or lock fails its test instead of the run.
Test Timeout      2 minutes
