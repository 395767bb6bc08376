/*
 * For keyboards and screen readers, on every screen: each toast is also said through a live
 * region (announcer), focus moves to the new screen's heading after a change of screen, and
 * `focus.to(selector)` puts focus back where a closed confirmation came from. The toast's
 * close button gets a name.
 */
(function (angular) {
  'use strict';

  /** Says `text` through the page's live regions (index.html): assertive when `urgent`. */
  announcer.$inject = ['$document', '$timeout'];
  function announcer($document, $timeout) {
    return {
      say: function (text, urgent) {
        var region = $document[0].getElementById(urgent ? 'announce-assertive' : 'announce-polite');
        if (!region || !text) { return; }
        // Emptied first, so that the same words twice are said twice.
        region.textContent = '';
        $timeout(function () { region.textContent = text; }, 50, false);
      }
    };
  }

  var FOCUSABLE = 'a[href], button, input, select, textarea, [tabindex]';

  /** Moves focus once the screen has been drawn; a heading becomes focusable for it. */
  focus.$inject = ['$document', '$timeout'];
  function focus($document, $timeout) {
    return {
      to: function (selector) {
        $timeout(function () {
          var element = $document[0].querySelector(selector);
          if (!element) { return; }
          if (!element.matches(FOCUSABLE)) { element.setAttribute('tabindex', '-1'); }
          element.focus();
        }, 0, false);
      }
    };
  }

  /** Every toast is said too: a screen reader does not see one appear. */
  announceToasts.$inject = ['$delegate', 'announcer'];
  function announceToasts($delegate, announcer) {
    var pop = $delegate.pop;
    $delegate.pop = function (type, title, body) {
      var toast = angular.isObject(type) ? type : { type: type, title: title, body: body };
      var words = [toast.title, toast.body].filter(angular.isString).filter(Boolean).join(': ');
      announcer.say(words, toast.type === 'error' || toast.type === 'warning');
      return pop.apply($delegate, arguments);
    };
    return $delegate;
  }

  /** After moving to another screen (not on the first one, nor on a change of page or sort
   *  within a screen), focus goes to its heading, so the next Tab starts there. */
  focusOnNewScreen.$inject = ['$transitions', 'focus'];
  function focusOnNewScreen($transitions, focus) {
    $transitions.onSuccess({}, function (transition) {
      var from = transition.from().name;
      if (from && from !== transition.to().name) { focus.to('main h1'); }
    });
  }

  nameTheCloseButton.$inject = ['toasterConfig'];
  function nameTheCloseButton(toasterConfig) {
    toasterConfig['close-html'] =
      '<button class="toast-close-button" type="button" aria-label="Close this message">&times;</button>';
  }

  angular.module('usersApp.a11y', ['ui.router', 'toaster'])
    .factory('announcer', announcer)
    .factory('focus', focus)
    .config(['$provide', function ($provide) { $provide.decorator('toaster', announceToasts); }])
    .run(focusOnNewScreen)
    .run(nameTheCloseButton);
})(window.angular);
