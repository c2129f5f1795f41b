*** Settings ***
Documentation     A marketplace transaction: payment, settlement by webhook, inventory, the
...               seller's view, a partial refund, a dispute, and books that match the gateway.

Resource          ../../keywords/journeys.resource

Suite Setup       Register The Cast
Suite Teardown    Disconnect From Api Database

Test Tags         workflow    payments    db


*** Test Cases ***
A Stripe Sale From Decline To Dispute
    [Documentation]    Everything that can happen to one card sale, and the books agree with Stripe.
    [Tags]    smoke    stripe
    ${listing} =    Listing To Buy From    ${SELLER}    price_per_unit=${400000}
    ${payment} =    Buyer Pays With Stripe After A Decline    ${BUYER}    ${listing}    2
    Available Quantity Should Be    ${listing}    ${STOCK - 2}
    Seller Sees The Sale    ${SELLER}    ${payment}
    Seller Refunds Part    ${SELLER}    ${payment}    100000
    Buyer Disputes And Admin Refunds The Rest    ${BUYER}    ${ADMIN}    ${payment}
    Books Should Agree With Stripe    ${payment}    ${listing}    8

A Flutterwave Sale With A Partial Refund
    [Documentation]    An African-currency sale through the hosted checkout, refunded in part.
    [Tags]    flutterwave
    ${listing} =    Listing To Buy From    ${SELLER}    currency=NGN    price_per_unit=${150000}
    ${payment} =    Buyer Pays With Flutterwave    ${BUYER}    ${listing}    3
    Available Quantity Should Be    ${listing}    ${STOCK - 3}
    Seller Sees The Sale    ${SELLER}    ${payment}
    Seller Refunds Part    ${SELLER}    ${payment}    50000
    Flutterwave Should Agree With Our Books    ${payment}    ${payment}[transaction_id]
