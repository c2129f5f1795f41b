*** Settings ***
Documentation     Refunds: partial, several, full, never more than was paid, only by the right people.

Resource          ../../keywords/api.resource
Resource          ../../keywords/audit.resource
Resource          ../../keywords/buyer_flows.resource
Resource          ../../keywords/cast.resource
Resource          ../../keywords/database.resource
Resource          ../../keywords/purchases.resource

Suite Setup       Register The Cast
Suite Teardown    Disconnect From Api Database

Test Tags         payments    refunds    db


*** Test Cases ***
A Partial Refund Is Booked
    [Documentation]    Sellers settle quality disputes with partial refunds.
    [Tags]    smoke
    ${payment} =    Paid Payment Of    10000
    Refund Payment    ${SELLER}    ${payment}    4000    expected_status=201
    Payment Should Be Persisted As    ${payment}    status=partially_refunded    amount_refunded=4000
    Refund Rows Should Be    ${payment}    1    4000
    Audit Should Record    payment.refund    ${payment}

Several Partial Refunds Add Up To The Total
    [Documentation]    The last partial refund that reaches the paid amount makes the payment refunded.
    ${payment} =    Paid Payment Of    10000
    Refund Payment    ${SELLER}    ${payment}    3000    expected_status=201
    Refund Payment    ${ADMIN}    ${payment}    3000    expected_status=201
    Refund Payment    ${SELLER}    ${payment}    4000    expected_status=201
    Payment Should Be Persisted As    ${payment}    status=refunded    amount_refunded=10000
    Refund Rows Should Be    ${payment}    3    10000
    Payment History Should Be    ${payment}    pending    processing    succeeded
    ...    partially_refunded    refunded

The Last Minor Unit Can Be Refunded
    [Documentation]    Whatever is left can be refunded, down to a single cent.
    ${payment} =    Paid Payment Of    10000
    Refund Payment    ${SELLER}    ${payment}    9999    expected_status=201
    Refund Payment    ${SELLER}    ${payment}    1    expected_status=201
    Payment Should Be Persisted As    ${payment}    status=refunded    amount_refunded=10000
    Refund Rows Should Be    ${payment}    2    10000

An Over Refund Is Refused
    [Documentation]    Nobody can refund more than was paid, in one go or in several.
    [Tags]    security
    ${payment} =    Paid Payment Of    10000
    Refund Payment    ${SELLER}    ${payment}    6000    expected_status=201
    ${response} =    Refund Payment    ${SELLER}    ${payment}    4001    expected_status=409
    Problem Should Be    ${response}    409    refund_exceeds_balance
    Payment Should Be Persisted As    ${payment}    status=partially_refunded    amount_refunded=6000
    Refund Rows Should Be    ${payment}    1    6000

A Full Refund Without An Amount Refunds Everything Left
    [Documentation]    The common case needs no arithmetic from the seller.
    ${payment} =    Paid Payment Of    10000
    ${response} =    Refund Payment    ${SELLER}    ${payment}    expected_status=201
    Should Be Equal As Integers    ${response.json()}[amount]    10000
    Payment Should Be Persisted As    ${payment}    status=refunded    amount_refunded=10000

Only The Seller And Admins Can Refund
    [Documentation]    Buyers and other sellers must never trigger refunds.
    [Tags]    security    authorization
    ${payment} =    Paid Payment Of    10000
    ${other_seller} =    Register Verified Seller
    ${by_buyer} =    Refund Payment    ${BUYER}    ${payment}    100    expected_status=403
    Problem Should Be    ${by_buyer}    403
    ${by_other} =    Refund Payment    ${other_seller}    ${payment}    100    expected_status=404
    Problem Should Be    ${by_other}    404
    Payment Should Be Persisted As    ${payment}    status=succeeded    amount_refunded=0

An Unpaid Payment Cannot Be Refunded
    [Documentation]    There is nothing to give back before the money arrived.
    ${listing} =    Listing To Buy From    ${SELLER}
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}
    ${response} =    Refund Payment    ${SELLER}    ${payment}    100    expected_status=409
    Problem Should Be    ${response}    409    payment_not_refundable
    Payment Should Be Persisted As    ${payment}    status=pending    amount_refunded=0
    Refund Rows Should Be    ${payment}    0    0

A Flutterwave Payment Is Refunded Through Flutterwave
    [Documentation]    Each payment is refunded through the gateway that took it, in its currency.
    ${listing} =    Listing To Buy From    ${SELLER}    currency=NGN    price_per_unit=${150000}
    ${payment} =    Buy Listing    ${BUYER}    ${listing}    1
    Complete Flutterwave Checkout    ${payment}
    Payment Status Should Become    ${payment}    succeeded
    ${fraction} =    Refund Payment    ${SELLER}    ${payment}    50025    expected_status=422
    Problem Should Be    ${fraction}    422    amount_not_accepted
    Refund Payment    ${SELLER}    ${payment}    50000    expected_status=201
    Payment Should Be Persisted As    ${payment}    status=partially_refunded    amount_refunded=50000


*** Keywords ***
Paid Payment Of
    [Documentation]    A settled Stripe payment of `price` minor units for one unit of a fresh listing.
    [Arguments]    ${price}
    ${listing} =    Listing To Buy From    ${SELLER}    price_per_unit=${{int($price)}}
    ${payment} =    Pay And Settle With Stripe    ${BUYER}    ${listing}
    RETURN    ${payment}
