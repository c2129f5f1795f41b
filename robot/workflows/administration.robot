*** Settings ***
Documentation     Administration: an admin manages accounts and listings, and reviews money,
...               the system and the audit trail.

Resource          ../../keywords/journeys.resource

Suite Setup       Register The Cast
Suite Teardown    Disconnect From Api Database

Test Tags         workflow    admin    db


*** Test Cases ***
An Admin Manages People
    [Documentation]    Promotions and bans take effect at once and leave an audit trail.
    [Tags]    smoke
    ${buyer} =    Register Verified Buyer
    ${abuser} =    Register Verified Buyer
    Users Found Should Be    ${ADMIN}    ${buyer}    q=${buyer}[email]
    Change Role As    ${ADMIN}    ${buyer}    seller
    Account Should Be Persisted As    ${buyer}    role=seller
    Disable Account As    ${ADMIN}    ${abuser}
    Token Of Actor Should Be Refused    ${abuser}    account_inactive
    Audit Should Record    user.update    ${buyer}    by=${ADMIN}    kind=user    role=buyer -> seller

An Admin Suspends A Listing
    [Documentation]    A suspended listing disappears from search and cannot be bought.
    [Tags]    listings
    ${word} =    Unique Word
    ${listing} =    Listing To Buy From    ${SELLER}    title=Tin concentrate ${word}
    Search Should Find    ${listing}    q=${word}
    Admin Suspends A Listing    ${ADMIN}    ${listing}    ${BUYER}    ${word}
    Audit Should Record    listing.suspend    ${listing}    by=${ADMIN}

An Admin Reviews Money, System And Audit
    [Documentation]    Reports show the sale, the system view is healthy, the audit trail has the refund.
    [Tags]    reports
    ${listing} =    Listing To Buy From    ${SELLER}    price_per_unit=${10000}
    ${payment} =    Pay And Settle With Stripe    ${BUYER}    ${listing}
    Refund Payment    ${SELLER}    ${payment}    2500    expected_status=201
    ${report} =    Transactions Report As    ${ADMIN}    status=partially_refunded    per_page=100
    Totals Should Cover Payment    ${report}    ${payment}
    ${summary} =    Summary Report As    ${ADMIN}
    Summary Counts Should Add Up    ${summary}
    ${status} =    System Status As    ${ADMIN}
    System Status Should Be Healthy    ${status}
    Audit Log Should Contain    ${ADMIN}    1    action=payment.refund    target=${payment}[id]
