*** Settings ***
Documentation     Reports for admins: every payment with totals per currency, a summary of
...               accounts, listings, sales and refunds, and the health of the system.

Resource          ../../keywords/admin.resource
Resource          ../../keywords/cast.resource
Resource          ../../keywords/database.resource
Resource          ../../keywords/listings.resource
Resource          ../../keywords/purchases.resource

Suite Setup       Register The Cast
Suite Teardown    Disconnect From Api Database

Test Tags         admin    reports


*** Test Cases ***
The Transactions Report Totals Payments Per Currency
    [Documentation]    Finance reconciles the marketplace's takings per currency over any period.
    [Tags]    smoke    db    payments
    ${before} =    Current Database Time
    ${payment} =    Pending Payment In    CHF    125000
    ${after} =    Current Database Time
    ${report} =    Transactions Report As    ${ADMIN}    from=${before}    to=${after}
    Report Should List Payment    ${report}    ${payment}    pending
    Totals Should Cover Payment    ${report}    ${payment}
    Transaction Totals Should Match Database    ${ADMIN}    CHF    ${before}    ${after}

The Transactions Report Filters By Status, Provider And Period
    [Documentation]    Each filter narrows the report; none of them widens it.
    [Tags]    db    payments
    ${before} =    Current Database Time
    ${payment} =    Pending Payment In    EUR    99000
    ${after} =    Current Database Time
    ${match} =    Transactions Report As    ${ADMIN}    status=pending    provider=stripe
    ...    from=${before}    to=${after}
    Report Should List Payment    ${match}    ${payment}    pending
    Transactions Report Should Omit    ${ADMIN}    ${payment}    status=succeeded    from=${before}
    Transactions Report Should Omit    ${ADMIN}    ${payment}    provider=flutterwave    from=${before}
    Transactions Report Should Omit    ${ADMIN}    ${payment}    to=${before}

The Summary Report Counts Sales And Refunds In The Period
    [Documentation]    Management sees what was sold and given back, per currency, in a period.
    [Tags]    smoke    db    payments
    ${before} =    Current Database Time
    ${listing} =    Create Approved Listing    ${SELLER}    ${ADMIN}    quantity=10    currency=CHF
    ...    price_per_unit=${80000}
    ${payment} =    Pay And Settle With Stripe    ${BUYER}    ${listing}
    Refund Payment    ${SELLER}    ${payment}    30000    expected_status=201
    Payment Should Be Persisted As    ${payment}    status=partially_refunded    amount_refunded=30000
    ${after} =    Current Database Time
    ${summary} =    Summary Report As    ${ADMIN}    from=${before}    to=${after}
    Summary Should Include Sale    ${summary}    ${payment}    refunded=30000
    Summary Counts Should Add Up    ${summary}
    Summary Sales Should Match Database    ${ADMIN}    CHF    ${before}    ${after}

A Report Period May Be Given As Whole Days
    [Documentation]    People ask for "January", not for microseconds.
    ${summary} =    Summary Report As    ${ADMIN}    from=2024-01-01    to=2024-01-31
    Should Be Equal    ${summary}[period][from]    2024-01-01
    Should Be Equal    ${summary}[period][to]    2024-01-31

The System Status Shows Every Part
    [Documentation]    Operators see the database, migrations, backlogs and gateways on one page.
    [Tags]    smoke    db
    ${status} =    System Status As    ${ADMIN}
    System Status Should Be Healthy    ${status}
    Migration Version Should Match Database    ${status}

A Gateway Refusing Our Key Is Reported As Such
    [Documentation]    A rotated or wrong gateway key must show on the status page, not pass for "reachable".
    [Tags]    db    sandbox-only
    Flutterwave Refuses Our Key On The Next Status Check
    ${status} =    System Status As    ${ADMIN}
    Gateway Should Be Reported As    ${status}    flutterwave    unauthorized
    Gateway Should Be Reported As    ${status}    stripe    ok

Bad Report Queries Are Refused
    [Documentation]    A filter the API cannot apply is an error, never a silently wider report.
    [Tags]    validation
    [Template]    Console Query Should Be Refused
    transactions    from    from=yesterday
    transactions    from    from=2024-06-02    to=2024-06-01
    transactions    to    to=2024-05-01T25:00:00Z
    transactions    status    status=paid
    transactions    provider    provider=paypal
    transactions    per_page    per_page=101
    summary report    to    to=2024-13-01
    summary report    from    from=2024-06-01T12:00:00Z    to=2024-06-01T11:00:00Z
    audit log    actor    actor=not-a-uuid


*** Keywords ***
Pending Payment In
    [Documentation]    A fresh listing priced `price` in `currency`, bought with Stripe and not yet paid.
    [Arguments]    ${currency}    ${price}
    ${listing} =    Create Approved Listing    ${SELLER}    ${ADMIN}    quantity=10    currency=${currency}
    ...    price_per_unit=${{int($price)}}
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}
    Payment Should Be Persisted As    ${payment}    status=pending    currency=${currency}
    ...    amount=${price}
    RETURN    ${payment}

Console Query Should Be Refused
    [Documentation]    Reading the console's `report` with `params` is a 422 naming `field`.
    [Arguments]    ${report}    ${field}    &{params}
    Report Query Should Be Refused    ${ADMIN}    ${report}    ${field}    &{params}
