*** Settings ***
Documentation    What a release must serve, checked without writing anything: no setup makes
...              an account or a listing, no test logs in, and nothing needs the database.
...              `make deployment-check` counts every table's rows before and after.

Resource         ../../keywords/deployment.resource

Test Tags        deployment    deployment-safe


*** Test Cases ***
The Service Is Alive
    [Documentation]    Load balancers route to an instance only while it answers.
    [Tags]    smoke
    Service Should Be Alive

The Service Is Ready
    [Documentation]    A release whose database or migrations are behind must not take traffic.
    Service Should Be Ready

The Contract Is Published
    [Documentation]    Clients and the suite's own schema checks read the served OpenAPI document.
    Contract Should Describe The Marketplace

The Public Search Answers
    [Documentation]    Buyers find listings without an account; every answer matches the contract.
    ${page} =    Search Listings    per_page=5
    Should Be True    len($page["items"]) <= 5

The Public Search Filters
    [Documentation]    Filters and sorting work on whatever data the deployment holds.
    ${page} =    Search Listings    commodity=gold    sort=price_asc    per_page=5
    Every Listing Should Be Of Commodity    ${page}    gold

Existing Listings Can Be Read
    [Documentation]    The detail of a listing the search shows is public, whatever listings exist.
    Listings Found By Search Should Be Readable

An Unknown Listing Is Not Found
    [Documentation]    A missing listing is a 404 problem, never an error page.
    Unknown Listing Should Not Be Found
