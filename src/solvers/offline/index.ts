// placeholder until the offline runtime lands (issue 7): replaced by its owner.
export {};
