*** Settings ***
Documentation     Refund and confirmation bodies that break their schema are refused per field,
...               and change nothing: no refund, no charge.

Resource          ../../keywords/cast.resource
Resource          ../../keywords/database.resource
Resource          ../../keywords/payment_requests.resource
Resource          ../../keywords/purchases.resource

Suite Setup       Register The Cast
Suite Teardown    Disconnect From Api Database

Test Tags         payments    validation    db


*** Test Cases ***
Bad Refund Requests Refund Nothing
    [Documentation]    A refund names a positive amount and a reason that fits; nothing else is accepted.
    [Template]    Refund Of A Fresh Payment Should Be Refused
    reason    amount=${100}    reason=${{"x" * 501}}
    amount    amount=${0}
    amount    amount=${1.5}
    note    amount=${100}    note=goodwill

Bad Confirmations Charge Nothing
    [Documentation]    A confirmation carries one Stripe payment method id and nothing else.
    [Template]    Confirmation Of A Fresh Payment Should Be Refused
    payment_method    payment_method=card_visa
    payment_method    payment_method=${{"pm_" + "a" * 101}}
    colour    payment_method=pm_card_visa    colour=red


*** Keywords ***
Refund Of A Fresh Payment Should Be Refused
    [Documentation]    The seller refunding a fresh settled payment with `body` is refused naming `field`.
    [Arguments]    ${field}    &{body}
    ${listing} =    Listing To Buy From    ${SELLER}
    ${payment} =    Pay And Settle With Stripe    ${BUYER}    ${listing}
    Refund Request Should Be Refused    ${SELLER}    ${payment}    ${field}    &{body}

Confirmation Of A Fresh Payment Should Be Refused
    [Documentation]    The buyer confirming a fresh Stripe payment with `body` is refused naming `field`.
    [Arguments]    ${field}    &{body}
    ${listing} =    Listing To Buy From    ${SELLER}
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}
    Confirmation Should Be Refused    ${BUYER}    ${payment}    ${field}    &{body}
