*** Settings ***
Documentation     Disputes: a rejected dispute gives the payment back the status it had before.

Resource          ../../keywords/cast.resource
Resource          ../../keywords/database.resource
Resource          ../../keywords/disputes.resource
Resource          ../../keywords/purchases.resource

Suite Setup       Register The Cast
Suite Teardown    Disconnect From Api Database

Test Tags         payments    disputes    db


*** Test Cases ***
A Rejected Dispute Restores The Payment
    [Documentation]    A groundless dispute must not leave money frozen: the payment is as it was.
    [Template]    Rejected Dispute Should Restore
    0    succeeded
    4000    partially_refunded


*** Keywords ***
Rejected Dispute Should Restore
    [Documentation]    A payment refunded by `refunded` is disputed, the dispute rejected; it is `status` again.
    [Arguments]    ${refunded}    ${status}
    ${listing} =    Listing To Buy From    ${SELLER}    price_per_unit=${10000}
    ${payment} =    Pay And Settle With Stripe    ${BUYER}    ${listing}
    IF    ${refunded}
        Refund Payment    ${SELLER}    ${payment}    ${refunded}    expected_status=201
    END
    ${dispute} =    Open Dispute As    ${BUYER}    ${payment}
    Payment Should Be Persisted As    ${payment}    status=disputed
    Resolve Dispute As    ${ADMIN}    ${dispute}    reject
    Dispute Should Be Persisted As    ${dispute}    status=resolved_rejected
    Payment Should Be Persisted As    ${payment}    status=${status}    amount_refunded=${refunded}
    Last Transition Cause Should Start With    ${payment}    api:dispute:
